"""What people and organisations offer, what they need, and the projects that gather needs."""

import math
from decimal import Decimal

from django.conf import settings
from django.contrib.gis.db import models
from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.indexes import GinIndex, GistIndex
from django.core.exceptions import ValidationError
from django.db.models.functions import Coalesce

from accounts.models import members_only
from geoschema.texts import (  # noqa: F401 - CATEGORIES_MAX, DESCRIPTION_MAX_LENGTH: the limits, here too
    CATEGORIES_MAX,
    DESCRIPTION_MAX_LENGTH,
    categories_field,
    description_field,
    line_field,
    name_field,
    title_field,
)
from places.geo import AsGeometry
from places.models import Located

OPEN = models.Q(status="OPEN")  # the rows matching searches (offers and needs both say OPEN)


def is_finite(value: object) -> bool:
    """Whether a number can be compared: NaN and infinities cannot (clean_fields reports them, but
    clean() runs anyway), and an ordering comparison with a NaN decimal raises InvalidOperation."""
    if isinstance(value, Decimal):
        return value.is_finite()
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def amount_field(noun: str, *, max_digits: int = 14, decimal_places: int = 2, **kwargs) -> models.DecimalField:
    """A decimal number whose errors name it (`noun`): the API reports a field's messages without its name."""
    digits = (
        f"{noun} has at most {max_digits - decimal_places} digits before the decimal point "
        f"and {decimal_places} decimal places"
    )
    return models.DecimalField(
        max_digits=max_digits,
        decimal_places=decimal_places,
        error_messages={"max_digits": digits, "max_whole_digits": digits, "max_decimal_places": digits},
        **kwargs,
    )


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

    title = title_field()
    description = description_field()
    kind = models.CharField(max_length=20, choices=HelpKind.choices)
    categories = categories_field()
    quantity = amount_field("a quantity", null=True, blank=True)
    unit = line_field("a unit", 40, blank=True, help_text="CAD, hours, items, m2, seats, nights...")
    available_from = models.DateTimeField(null=True, blank=True)
    available_until = models.DateTimeField(null=True, blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    organisation = models.ForeignKey(
        "places.Organisation", null=True, blank=True, on_delete=models.SET_NULL, related_name="%(class)ss"
    )
    community = members_only()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        abstract = True

    def clean(self) -> None:
        errors = {}
        days = getattr(self, "recurring_days", None) or []
        if any(not 0 <= day <= 6 for day in days):
            errors["recurring_days"] = "days of the week are 0 (Monday) to 6 (Sunday)"
        elif len(set(days)) < len(days):
            errors["recurring_days"] = "recurring days name each day of the week at most once"
        if self.available_from and self.available_until and self.available_from >= self.available_until:
            errors["available_until"] = "the window must end after it starts"
        if is_finite(self.quantity) and self.quantity <= 0:
            errors["quantity"] = "a quantity must be more than 0 (leave it empty when it does not count)"
        largest = settings.QUARTIER["MAX_RADIUS_METERS"]
        for field in ("service_radius_m", "search_radius_m"):
            radius = getattr(self, field, None)
            if radius is not None and not 0 < radius <= largest:
                errors[field] = f"a radius is more than 0 and at most {largest:g} m"
        if errors:
            raise ValidationError(errors)


class Offer(Exchange):
    """Help that a person or an organisation offers around a place."""

    class Status(models.TextChoices):
        OPEN = "OPEN"
        PAUSED = "PAUSED"
        EXHAUSTED = "EXHAUSTED"
        CLOSED = "CLOSED"

    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)
    service_radius_m = models.FloatField(default=2000, help_text="How far the offerer will go, in metres.")
    recurring_days = ArrayField(
        models.PositiveSmallIntegerField(),
        default=list,
        db_default=[],  # rows written by COPY (seed_demo) get it too
        blank=True,
        help_text="Days of the week it is available within its window (0 = Monday); empty: every day.",
    )

    class Meta:
        ordering = ["id"]
        indexes = [
            GistIndex(AsGeometry("public_location"), name="offer_public_planar"),
            GinIndex(fields=["categories"], name="offer_categories_gin"),
            models.Index(fields=["kind"], name="offer_kind"),
            # Matching asks "offers of this kind near here": one GiST on both (btree_gist), on exact
            # places and on public ones (matching.selectors.places_seen_by). The latter only for open
            # rows, which matching alone asks for: else the lists' nearest first walks it instead of
            # the public_location GiST, twice as slow without a kind to narrow it.
            GistIndex(fields=["kind", "location"], name="offer_kind_location"),
            GistIndex(fields=["kind", "public_location"], name="offer_kind_public_location", condition=OPEN),
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

    title = title_field()
    description = description_field()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    organisation = models.ForeignKey(
        "places.Organisation", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    community = members_only()
    funding_goal = amount_field("a funding goal", null=True, blank=True)
    starts_on = models.DateField(null=True, blank=True)
    ends_on = models.DateField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]
        indexes = [GistIndex(AsGeometry("public_location"), name="project_public_planar")]

    def clean(self) -> None:
        errors = {}
        if is_finite(self.funding_goal) and self.funding_goal <= 0:
            errors["funding_goal"] = "a funding goal must be more than 0 (leave it empty when there is none)"
        if self.starts_on and self.ends_on and self.ends_on < self.starts_on:
            errors["ends_on"] = "a project ends on or after the day it starts"
        if errors:
            raise ValidationError(errors)

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
            GistIndex(AsGeometry("public_location"), name="need_public_planar"),
            GinIndex(fields=["categories"], name="need_categories_gin"),
            models.Index(fields=["kind"], name="need_kind"),
            GistIndex(fields=["kind", "location"], name="need_kind_location"),
            GistIndex(fields=["kind", "public_location"], name="need_kind_public_location", condition=OPEN),
        ]

    def __str__(self) -> str:
        return self.title


class Pledge(models.Model):
    """An offer committed to a need for a quantity. Accepted and fulfilled pledges use up capacity:
    the remaining quantity of an offer and of a need never goes below zero (offers.services)."""

    class Status(models.TextChoices):
        PROPOSED = "PROPOSED"
        ACCEPTED = "ACCEPTED"
        DECLINED = "DECLINED"
        FULFILLED = "FULFILLED"
        CANCELLED = "CANCELLED"

    COMMITTED = (Status.ACCEPTED, Status.FULFILLED)

    offer = models.ForeignKey(Offer, on_delete=models.CASCADE, related_name="pledges")
    need = models.ForeignKey(Need, on_delete=models.CASCADE, related_name="pledges")
    quantity = amount_field("a pledge's quantity")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PROPOSED)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    responded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["id"]
        constraints = [models.CheckConstraint(condition=models.Q(quantity__gt=0), name="pledge_quantity_positive")]

    def clean(self) -> None:
        if is_finite(self.quantity) and self.quantity <= 0:
            raise ValidationError({"quantity": "a pledge's quantity must be more than 0"})

    def __str__(self) -> str:
        return f"{self.quantity} of {self.offer} for {self.need} ({self.status})"


class FundingPool(models.Model):
    """Civic co-funding: a partner's budget that tops up money pledges to projects located inside an
    area (a district, or any district of a layer), by a ratio, with a cap per project and a total."""

    name = name_field()
    partner = models.ForeignKey("places.Organisation", on_delete=models.PROTECT, related_name="funding_pools")
    district = models.ForeignKey("places.District", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    layer = models.ForeignKey("places.BoundaryLayer", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    ratio = amount_field(
        "a pool's ratio", max_digits=6, decimal_places=3, help_text="Top-up per unit pledged (1 = one for one)."
    )
    cap_per_project = amount_field("a pool's cap per project")
    total = amount_field("a pool's total")
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(district__isnull=False) | models.Q(layer__isnull=False), name="pool_has_an_area"
            ),
            models.CheckConstraint(
                condition=models.Q(ratio__gt=0, cap_per_project__gt=0, total__gt=0), name="pool_amounts_positive"
            ),
        ]

    def clean(self) -> None:
        # The constraint above would say only that it is violated: say which amount, and why.
        errors = {}
        for field, noun in (("ratio", "ratio"), ("cap_per_project", "cap per project"), ("total", "total")):
            value = getattr(self, field)
            if is_finite(value) and value <= 0:
                errors[field] = f"a pool's {noun} must be more than 0"
        if errors:
            raise ValidationError(errors)

    def __str__(self) -> str:
        return self.name


class PoolTopUp(models.Model):
    """What a pool added to a project because of one accepted money pledge."""

    pool = models.ForeignKey(FundingPool, on_delete=models.CASCADE, related_name="top_ups")
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="top_ups")
    pledge = models.ForeignKey(Pledge, on_delete=models.CASCADE, related_name="top_ups")
    amount = models.DecimalField(max_digits=14, decimal_places=2)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["pool", "pledge"], name="one_top_up_per_pool_and_pledge"),
            models.CheckConstraint(condition=models.Q(amount__gt=0), name="top_up_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.amount} from {self.pool} to {self.project}"


class ClusterCell(models.Model):
    """How many offers (or needs) of one kind and one community lie in one cell of one zoom's
    clustering grid, and the sums of their coordinates: `clusters` reads a whole city's view from
    a few hundred of these instead of a million rows. Kept by triggers on the offers and needs
    tables (offers/sql/cluster_cells.sql), never written by Python."""

    layer = models.CharField(max_length=10, help_text="offer or need")
    zoom = models.PositiveSmallIntegerField()
    cx = models.IntegerField(help_text="The cell's column: round(longitude / cell size).")
    cy = models.IntegerField(help_text="The cell's row: round(latitude / cell size).")
    kind = models.CharField(max_length=20, choices=HelpKind.choices)
    community_id = models.BigIntegerField(null=True, help_text="Members-only rows' community; empty: public.")
    count = models.BigIntegerField()
    sum_x = models.FloatField()
    sum_y = models.FloatField()

    class Meta:
        constraints = [
            # The key the triggers' upserts name (ON CONFLICT); public rows have community 0 in it.
            models.UniqueConstraint(
                "layer", "zoom", "cx", "cy", "kind", Coalesce("community_id", 0), name="cluster_cell_key"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.count} {self.layer}s at zoom {self.zoom} ({self.cx}, {self.cy})"
