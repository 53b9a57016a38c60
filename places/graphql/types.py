"""GraphQL types of places: boundary layers, districts, buildings, points of interest, organisations."""

from enum import Enum
from typing import Annotated

import strawberry
import strawberry_django
from django.contrib.gis.db.models.aggregates import Collect
from django.contrib.gis.db.models.functions import Envelope
from django.db.models import OuterRef, Subquery
from strawberry import relay

from accounts.permissions import visible_layers
from geoschema.located import Located
from geoschema.scalars import GeoJSON, geometry_to_geojson
from places import models

LayerKind = strawberry.enum(Enum("LayerKind", {c.value: c.value for c in models.BoundaryLayer.Kind}))
Access = strawberry.enum(Enum("Access", {c.value: c.value for c in models.PointOfInterest.Access}))
LayerVisibility = strawberry.enum(
    Enum("LayerVisibility", {c.value: c.value for c in models.BoundaryLayer.Visibility}),
    description="PUBLIC: everyone; MEMBERS: the owner's members only.",
)
OrganisationKind = strawberry.enum(Enum("OrganisationKind", {c.value: c.value for c in models.Organisation.Kind}))


def _layer_extent(info=None):
    envelope = (
        models.District.objects.filter(layer=OuterRef("pk"))
        .values("layer")
        .annotate(extent=Envelope(Collect("geometry")))
        .values("extent")
    )
    return Subquery(envelope)


@strawberry_django.type(models.BoundaryLayer, name="BoundaryLayer")
class BoundaryLayerType(relay.Node):
    id: relay.NodeID[int]
    slug: str
    name: str
    kind: LayerKind
    attribution: str
    licence: str

    version: int
    is_current: bool
    visibility: LayerVisibility
    owner: Annotated["OrganisationType", strawberry.lazy("places.graphql.types")] | None  # noqa: F821

    @classmethod
    def get_queryset(cls, queryset, info: strawberry.Info, **kwargs):
        return queryset.filter(pk__in=visible_layers(info.context.request.user).values("pk"))

    @strawberry_django.field(annotate={"extent_geometry": _layer_extent}, description="The layer's bounding box.")
    def extent(self, root: strawberry.Parent) -> GeoJSON | None:
        return geometry_to_geojson(root.extent_geometry)


@strawberry_django.type(models.District, name="District")
class DistrictType(relay.Node):
    id: relay.NodeID[int]
    code: str
    name: str
    layer: BoundaryLayerType
    parent: "DistrictType | None"
    area_m2: float = strawberry_django.field(name="areaSquareMeters")

    @classmethod
    def get_queryset(cls, queryset, info: strawberry.Info, **kwargs):
        return queryset.filter(layer__in=visible_layers(info.context.request.user).values("pk"))

    @strawberry_django.field(only=["geometry"], description="The district's area: a GeoJSON MultiPolygon.")
    def geometry(self, root: strawberry.Parent) -> GeoJSON:
        return geometry_to_geojson(root.geometry)


@strawberry_django.type(models.Building, name="Building")
class BuildingType(relay.Node, Located):
    id: relay.NodeID[int]
    name: str
    address: str
    dwellings: int | None

    @strawberry_django.field(only=["footprint"], description="The footprint: a GeoJSON MultiPolygon, if known.")
    def footprint(self, root: strawberry.Parent) -> GeoJSON | None:
        return geometry_to_geojson(root.footprint)


@strawberry_django.type(models.PointOfInterest, name="PointOfInterest")
class PointOfInterestType(relay.Node, Located):
    id: relay.NodeID[int]
    name: str
    categories: list[str]
    address: str
    wheelchair: Access
    step_free_entrance: bool | None
    accessible_toilet: bool | None


@strawberry_django.type(models.Organisation, name="Organisation")
class OrganisationType(relay.Node, Located):
    id: relay.NodeID[int]
    name: str
    kind: OrganisationKind
    categories: list[str]
    address: str
    website: str
