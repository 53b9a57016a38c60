"""Events neighbours meet at, and who registered for them."""

from datetime import timedelta

from django.conf import settings
from django.contrib.gis.db import models
from django.contrib.postgres.indexes import GistIndex
from django.core.exceptions import ValidationError

from accounts.models import members_only
from geoschema.texts import categories_field, description_field, title_field
from places.geo import AsGeometry
from places.models import Located

# An event is something people go to: a festival of a few days, a course over a season, never a
# standing offer (one from year 1 to 9999 would head every feed's upcoming events forever).
EVENT_LONGEST = timedelta(days=366)


class Event(Located):
    """A meeting, a workshop, a repair café: organised by a person or an organisation, at a point of
    interest, a building or a free place, for everyone or for one community's members."""

    class Status(models.TextChoices):
        SCHEDULED = "SCHEDULED"
        CANCELLED = "CANCELLED"

    title = title_field()
    description = description_field()
    categories = categories_field()
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    capacity = models.PositiveIntegerField(null=True, blank=True, help_text="Seats; empty: no limit.")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.SCHEDULED)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    organisation = models.ForeignKey(
        "places.Organisation", null=True, blank=True, on_delete=models.SET_NULL, related_name="events"
    )
    point_of_interest = models.ForeignKey(
        "places.PointOfInterest", null=True, blank=True, on_delete=models.SET_NULL, related_name="events"
    )
    building = models.ForeignKey(
        "places.Building", null=True, blank=True, on_delete=models.SET_NULL, related_name="events"
    )
    project = models.ForeignKey(
        "offers.Project", null=True, blank=True, on_delete=models.SET_NULL, related_name="events"
    )
    community = members_only()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]
        indexes = [
            GistIndex(AsGeometry("public_location"), name="event_public_planar"),
            models.Index(fields=["starts_at"], name="event_starts_at"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ends_at__gt=models.F("starts_at")), name="event_ends_after_start"
            ),
            models.CheckConstraint(condition=models.Q(capacity__gt=0), name="event_capacity_positive"),
        ]

    def clean(self) -> None:
        if self.starts_at and self.ends_at and self.ends_at <= self.starts_at:
            raise ValidationError({"ends_at": "an event ends after it starts"})
        if self.starts_at and self.ends_at and self.ends_at - self.starts_at > EVENT_LONGEST:
            raise ValidationError(
                {"ends_at": f"an event lasts at most {EVENT_LONGEST.days} days: for something ongoing, post an offer"}
            )
        if self.capacity is not None and self.capacity < 1:
            raise ValidationError({"capacity": "a capacity is at least 1 (leave it empty for no limit)"})

    def __str__(self) -> str:
        return self.title


class Registration(models.Model):
    """A person's seat at an event."""

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="registrations")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="registrations")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]
        constraints = [models.UniqueConstraint(fields=["event", "user"], name="one_registration_per_person")]

    def __str__(self) -> str:
        return f"{self.user} at {self.event}"
