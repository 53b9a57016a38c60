"""What people and organisations offer, what they need, and the projects that gather needs."""

from django.conf import settings
from django.contrib.gis.db import models
from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.indexes import GinIndex, GistIndex

from places.geo import AsGeometry

from places.models import Located


class HelpKind(models.TextChoices):
    """The kinds of help that cross Quartier (API.md)."""

    MONEY = "MONEY"
    MATERIAL = "MATERIAL"
    VOLUNTEERING = "VOLUNTEERING"
    EXPERTISE = "EXPERTISE"
    SERVICE = "SERVICE"
    LOAN = "LOAN"
    STORAGE = "STORAGE"
    CARPOOL = "CARPOOL"
    LODGING = "LODGING"
    MEAL = "MEAL"


class Exchange(Located):
    """What an offer and a need share: a kind of help, categories, a quantity, a time window."""

    title = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    kind = models.CharField(max_length=20, choices=HelpKind.choices)
    categories = ArrayField(models.CharField(max_length=80), default=list, blank=True)
    quantity = models.DecimalField(max_digits=14, decimal_places=2, null=True, blank=True)
    unit = models.CharField(max_length=40, blank=True, help_text="CAD, hours, items, m2, seats, nights...")
    available_from = models.DateTimeField(null=True, blank=True)
    available_until = models.DateTimeField(null=True, blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    organisation = models.ForeignKey(
        "places.Organisation", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        abstract = True


class Offer(Exchange):
    """Help that a person or an organisation offers around a place."""

    class Status(models.TextChoices):
        OPEN = "OPEN"
        PAUSED = "PAUSED"
        EXHAUSTED = "EXHAUSTED"
        CLOSED = "CLOSED"

    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)
    service_radius_m = models.FloatField(default=2000, help_text="How far the offerer will go, in metres.")

    class Meta:
        ordering = ["id"]
        indexes = [
            GistIndex(AsGeometry("location"), name="offer_location_planar"),
            GinIndex(fields=["categories"], name="offer_categories_gin"),
            models.Index(fields=["kind"], name="offer_kind"),
        ]

    def __str__(self) -> str:
        return self.title


class Project(Located):
    """A community project carried by a person or an organisation, with its needs."""

    class Status(models.TextChoices):
        DRAFT = "DRAFT"
        OPEN = "OPEN"
        FUNDED = "FUNDED"
        DONE = "DONE"

    title = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    organisation = models.ForeignKey(
        "places.Organisation", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    funding_goal = models.DecimalField(max_digits=14, decimal_places=2, null=True, blank=True)
    starts_on = models.DateField(null=True, blank=True)
    ends_on = models.DateField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]
        indexes = [GistIndex(AsGeometry("location"), name="project_location_planar")]

    def __str__(self) -> str:
        return self.title


class Need(Exchange):
    """Help that a neighbour or a project asks for."""

    class Status(models.TextChoices):
        OPEN = "OPEN"
        MET = "MET"
        CLOSED = "CLOSED"

    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)
    project = models.ForeignKey(Project, null=True, blank=True, on_delete=models.CASCADE, related_name="needs")
    search_radius_m = models.FloatField(default=2000, help_text="How far to look for offers, in metres.")
    deadline = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["id"]
        indexes = [
            GistIndex(AsGeometry("location"), name="need_location_planar"),
            GinIndex(fields=["categories"], name="need_categories_gin"),
            models.Index(fields=["kind"], name="need_kind"),
        ]

    def __str__(self) -> str:
        return self.title
