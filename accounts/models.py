"""Bearer tokens (stored hashed) and login attempts (for rate limiting)."""

from django.conf import settings
from django.db import models


class ApiToken(models.Model):
    """A bearer token: only its SHA-256 is stored, so a database leak reveals no usable token."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens")
    key_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"token of {self.user} ({'revoked' if self.revoked_at else 'active'})"


class LoginAttempt(models.Model):
    """One login attempt, kept so that failures can be counted per account across server processes."""

    email = models.CharField(max_length=254, db_index=True)
    succeeded = models.BooleanField()
    at = models.DateTimeField(auto_now_add=True, db_index=True)

    def __str__(self) -> str:
        return f"{self.email} {'succeeded' if self.succeeded else 'failed'} at {self.at:%Y-%m-%d %H:%M}"
