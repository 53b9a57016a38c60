"""Boundary layers and their districts, buildings, points of interest and organisations."""

from django.conf import settings
from django.contrib.gis.db import models
from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.indexes import GinIndex, GistIndex

from geoschema.texts import name_field
from places.geo import AsGeometry


class LocationPrecision(models.TextChoices):
    """How exact a location is for the one who reads it."""

    EXACT = "EXACT"
    BUILDING = "BUILDING"
    BLOCK = "BLOCK"
    DISTRICT = "DISTRICT"


class Located(models.Model):
    """A thing with a place: a geography point (metres are metres, GiST-indexed) and the
    districts of every boundary layer that hold it, assigned on write.

    `location` is exact and never leaves the server unless the caller may see it; everyone else
    sees and searches `public_location`, which a database trigger derives from it on every write
    (places/sql/public_location.sql): the same point for EXACT, else the centre of a ~50 m
    (BUILDING) or ~200 m (BLOCK) cell, or a point inside the smallest public district (DISTRICT).
    """

    location = models.PointField(geography=True, srid=4326)
    location_precision = models.CharField(
        max_length=10, choices=LocationPrecision.choices, default=LocationPrecision.EXACT
    )
    public_location = models.PointField(
        geography=True, srid=4326, null=True, editable=False, help_text="Where others see it (set by the database)."
    )
    districts = models.ManyToManyField("places.District", related_name="+", blank=True)

    class Meta:
        abstract = True


class BoundaryLayer(models.Model):
    """A set of areas that tile a territory: a city's boroughs, its neighbourhoods, a partner's zones.

    A partner's new upload of a layer is a new version; the older ones stay queryable by version.
    """

    class Kind(models.TextChoices):
        ADMINISTRATIVE = "ADMINISTRATIVE"
        NEIGHBOURHOOD = "NEIGHBOURHOOD"
        PARTNER = "PARTNER"

    class Visibility(models.TextChoices):
        PUBLIC = "PUBLIC"
        MEMBERS = "MEMBERS"

    slug = models.SlugField(max_length=80)
    version = models.PositiveIntegerField(default=1)
    is_current = models.BooleanField(default=True, help_text="The version that `layer: slug` means.")
    name = models.CharField(max_length=200)
    kind = models.CharField(max_length=20, choices=Kind.choices, default=Kind.ADMINISTRATIVE)
    attribution = models.CharField(max_length=500, blank=True, help_text="Who publishes the data.")
    licence = models.CharField(max_length=200, blank=True, help_text="The licence of the data.")
    owner = models.ForeignKey(
        "places.Organisation",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="boundary_layers",
        help_text="The partner that uploaded it; none for the platform's own layers.",
    )
    visibility = models.CharField(max_length=10, choices=Visibility.choices, default=Visibility.PUBLIC)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["slug", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["slug", "version"], name="layer_slug_version_unique"),
            models.UniqueConstraint(fields=["slug"], condition=models.Q(is_current=True), name="layer_one_current"),
        ]

    def __str__(self) -> str:
        return f"{self.name} (v{self.version})"


class District(models.Model):
    """One area of a boundary layer: a borough, a quartier, a partner's zone. Always valid."""

    layer = models.ForeignKey(BoundaryLayer, on_delete=models.CASCADE, related_name="districts")
    code = models.CharField(max_length=80, help_text="The code of the area in its source data.")
    name = models.CharField(max_length=200)
    parent = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="children",
        help_text="The district of another layer that contains this one.",
    )
    geometry = models.MultiPolygonField(srid=4326)
    area_m2 = models.FloatField(default=0, help_text="Area on the WGS84 spheroid, in square metres.")

    class Meta:
        ordering = ["layer_id", "code"]
        constraints = [
            models.UniqueConstraint(fields=["layer", "code"], name="district_code_unique_in_layer"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.layer.slug})"


class DistrictPart(models.Model):
    """A small piece of a district's polygon (ST_Subdivide), so point-in-polygon tests touch a
    few dozen vertices through the GiST index instead of a whole detailed boundary."""

    district = models.ForeignKey(District, on_delete=models.CASCADE, related_name="parts")
    geometry = models.GeometryField(srid=4326)


class Building(Located):
    """A building or residence: a footprint and/or a point, an address, its dwellings."""

    name = models.CharField(max_length=200, blank=True)
    address = models.CharField(max_length=300, blank=True)
    footprint = models.MultiPolygonField(srid=4326, null=True, blank=True)
    dwellings = models.PositiveIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["id"]
        indexes = [GistIndex(AsGeometry("public_location"), name="building_public_planar")]

    def save(self, *args, **kwargs):
        # A building given by its footprint alone is placed at a point inside the footprint.
        if self.location is None and self.footprint is not None:
            self.location = self.footprint.point_on_surface
        super().save(*args, **kwargs)

    def __str__(self) -> str:
        return self.name or self.address or f"building {self.pk}"


class PointOfInterest(Located):
    """A merchant, a library, a community centre...: somewhere people can go."""

    class Access(models.TextChoices):
        YES = "YES"
        LIMITED = "LIMITED"
        NO = "NO"
        UNKNOWN = "UNKNOWN"

    name = models.CharField(max_length=300)
    categories = ArrayField(models.CharField(max_length=80), default=list, blank=True)
    address = models.CharField(max_length=300, blank=True)
    wheelchair = models.CharField(max_length=10, choices=Access.choices, default=Access.UNKNOWN)
    step_free_entrance = models.BooleanField(null=True, blank=True)
    accessible_toilet = models.BooleanField(null=True, blank=True)
    hearing_loop = models.BooleanField(null=True, blank=True)
    parking = models.BooleanField(null=True, blank=True, help_text="Accessible parking.")
    source = models.CharField(max_length=80, blank=True, help_text="The dataset it was imported from.")
    source_id = models.CharField(max_length=120, null=True, blank=True, help_text="Its id in that dataset.")

    class Meta:
        ordering = ["id"]
        indexes = [
            GistIndex(AsGeometry("public_location"), name="poi_public_planar"),
            GinIndex(fields=["categories"], name="poi_categories_gin"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["source", "source_id"], name="poi_source_unique"),
        ]

    def __str__(self) -> str:
        return self.name


class Organisation(Located):
    """A merchant, an association, a partner or a public body that offers, carries or funds."""

    class Kind(models.TextChoices):
        MERCHANT = "MERCHANT"
        ASSOCIATION = "ASSOCIATION"
        PARTNER = "PARTNER"
        PUBLIC = "PUBLIC"
        COOPERATIVE = "COOPERATIVE"

    name = name_field()
    kind = models.CharField(max_length=20, choices=Kind.choices)
    categories = ArrayField(models.CharField(max_length=80), default=list, blank=True)
    address = models.CharField(max_length=300, blank=True)
    website = models.URLField(blank=True)
    members = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="organisations", help_text="People who act for it."
    )

    class Meta:
        ordering = ["id"]
        indexes = [GistIndex(AsGeometry("public_location"), name="organisation_public_planar")]

    def __str__(self) -> str:
        return self.name
