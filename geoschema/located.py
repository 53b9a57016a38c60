"""What every located GraphQL type shares: `location`, `distanceMeters`, `locationPrecision`,
and the districts that hold it."""

from enum import Enum
from typing import Annotated

import strawberry
import strawberry_django
from django.db.models import Prefetch

from accounts.permissions import sees_exact_location, visible_layer_ids
from geoschema.scalars import GeoJSON, geometry_to_geojson
from places.geo import ColumnIfAny, Latitude, Longitude
from places.models import District
from places.models import LocationPrecision as PrecisionChoices

DistrictRef = Annotated["DistrictType", strawberry.lazy("places.graphql.types")]  # noqa: F821

LocationPrecision = strawberry.enum(
    Enum("LocationPrecision", {c.value: c.value for c in PrecisionChoices}),
    description="How exact `location` is for the caller.",
)


@strawberry.enum(description="The order of a list.")
class OrderBy(Enum):
    ID = "ID"
    NEWEST = "NEWEST"
    DISTANCE = "DISTANCE"


def _districts_prefetch():
    return Prefetch(
        "districts",
        queryset=District.objects.select_related("layer").defer("geometry", "layer__attribution"),
        to_attr="located_districts",
    )


def _districts(root, info: strawberry.Info) -> list[District]:
    """The districts holding `root`, of current layers the caller may see."""
    cached = getattr(root, "located_districts", None)
    if cached is None:
        cached = list(root.districts.select_related("layer").defer("geometry"))
    visible = visible_layer_ids(info.context.request)
    return [d for d in cached if d.layer_id in visible and d.layer.is_current]


@strawberry.interface(description="Anything with a place on the map.")
class Located:
    @strawberry_django.field(
        annotate={
            "public_x": Longitude("public_location"),
            "public_y": Latitude("public_location"),
            "exact_x": Longitude("location"),
            "exact_y": Latitude("location"),
            "owner_ref": ColumnIfAny("owner_id"),
            "organisation_ref": ColumnIfAny("organisation_id"),
        },
        only=["location_precision"],
        description="Where it is, as exactly as the caller may see: a GeoJSON Point.",
    )
    def location(self, root: strawberry.Parent, info: strawberry.Info) -> GeoJSON:
        # Coordinates come from SQL as floats: no geometry object to build for each row.
        exact = sees_exact_location(info.context.request, root)
        x, y = (
            (getattr(root, "exact_x", None), getattr(root, "exact_y", None))
            if exact
            else (getattr(root, "public_x", None), getattr(root, "public_y", None))
        )
        if x is None:  # fetched without the optimizer's annotations (a related object, node(id:))
            return geometry_to_geojson(root.location if exact else root.public_location)
        return {"type": "Point", "coordinates": [x, y]}

    @strawberry.field(
        description="Metres from `spatial.near.point` (WGS84 spheroid) to the place that lists are searched and "
        "ordered by: the public one (`location` for all but those who may see the exact place); null without `near`."
    )
    def distance_meters(self, root: strawberry.Parent) -> float | None:
        return getattr(root, "distance_meters", None)

    @strawberry_django.field(only=["location_precision"], description="How exact `location` is for the caller.")
    def location_precision(self, root: strawberry.Parent, info: strawberry.Info) -> LocationPrecision:
        if sees_exact_location(info.context.request, root):
            return LocationPrecision("EXACT")
        return LocationPrecision(root.location_precision)

    @strawberry_django.field(
        prefetch_related=[_districts_prefetch()],
        description="The district of `layer` (a slug) that holds it; by default the first administrative layer's.",
    )
    def district(self, root: strawberry.Parent, info: strawberry.Info, layer: str | None = None) -> DistrictRef | None:
        candidates = sorted(_districts(root, info), key=lambda d: (d.layer.kind != "ADMINISTRATIVE", d.layer_id))
        for district in candidates:
            if layer is None or district.layer.slug == layer:
                return district
        return None

    @strawberry_django.field(
        prefetch_related=[_districts_prefetch()],
        description="Every district, of every boundary layer, that holds it.",
    )
    def districts(self, root: strawberry.Parent, info: strawberry.Info) -> list[DistrictRef]:
        return sorted(_districts(root, info), key=lambda d: (d.layer_id, d.id))
