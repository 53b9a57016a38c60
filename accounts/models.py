"""Bearer tokens (stored hashed) and login attempts (for rate limiting)."""

from django.conf import settings
from django.db import models

from geoschema.texts import description_field, name_field


class ApiToken(models.Model):
    """A bearer token: only its SHA-256 is stored, so a database leak reveals no usable token."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens")
    key_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)
    last_write_at = models.DateTimeField(
        null=True, blank=True, help_text="When its holder last wrote: their reads stay on the primary for a while."
    )

    def __str__(self) -> str:
        return f"token of {self.user} ({'revoked' if self.revoked_at else 'active'})"


class LoginAttempt(models.Model):
    """One login attempt, kept so that failures can be counted per account across server processes."""

    email = models.CharField(max_length=254, db_index=True)
    succeeded = models.BooleanField()
    at = models.DateTimeField(auto_now_add=True, db_index=True)

    def __str__(self) -> str:
        return f"{self.email} {'succeeded' if self.succeeded else 'failed'} at {self.at:%Y-%m-%d %H:%M}"


def members_only() -> models.ForeignKey:
    """The `community` field of anything that can be posted for one community's members only."""
    return models.ForeignKey(
        "accounts.Community",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="Members-only: only this community's members see it. Empty: everyone sees it.",
    )


class Community(models.Model):
    """A members-only space: a housing cooperative's members, one building's residents, an
    association's volunteers. What is posted in it (offers, needs, projects) only its members see."""

    class Kind(models.TextChoices):
        COOPERATIVE = "COOPERATIVE"
        BUILDING = "BUILDING"
        ASSOCIATION = "ASSOCIATION"
        OTHER = "OTHER"

    name = name_field()
    kind = models.CharField(max_length=20, choices=Kind.choices, default=Kind.OTHER)
    description = description_field()
    organisation = models.ForeignKey(
        "places.Organisation", null=True, blank=True, on_delete=models.SET_NULL, related_name="communities"
    )
    building = models.ForeignKey(
        "places.Building", null=True, blank=True, on_delete=models.SET_NULL, related_name="communities"
    )
    members = models.ManyToManyField(settings.AUTH_USER_MODEL, through="Membership", related_name="communities")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]
        verbose_name_plural = "communities"

    def __str__(self) -> str:
        return self.name


class Membership(models.Model):
    """A person in a community; managers add and remove members."""

    class Role(models.TextChoices):
        MEMBER = "MEMBER"
        MANAGER = "MANAGER"

    community = models.ForeignKey(Community, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=10, choices=Role.choices, default=Role.MEMBER)
    joined_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]
        constraints = [models.UniqueConstraint(fields=["community", "user"], name="one_membership_per_person")]

    def __str__(self) -> str:
        return f"{self.user} in {self.community} ({self.role})"
