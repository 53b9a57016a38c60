"""GraphQL types of places: boundary layers, districts, buildings, points of interest, organisations."""

from enum import Enum
from typing import Annotated

import strawberry
import strawberry_django
from django.contrib.gis.db.models.aggregates import Collect
from django.contrib.gis.db.models.functions import Envelope
from django.contrib.gis.geos import MultiPolygon, Polygon
from django.db.models import OuterRef, Prefetch, Subquery, prefetch_related_objects
from strawberry import relay

from accounts.permissions import only_visible, visible_layers
from geoschema.errors import bad_input
from geoschema.located import Located
from geoschema.scalars import GeoJSON, geometry_to_geojson
from places import models

OfferRef = Annotated["OfferType", strawberry.lazy("offers.graphql.types")]  # noqa: F821
METRES_PER_DEGREE = 111_320  # of latitude; a longitude degree is shorter, so the tolerance errs on the fine side
MAX_SIMPLIFY_M = 10_000
LayerKind = strawberry.enum(Enum("LayerKind", {c.value: c.value for c in models.BoundaryLayer.Kind}))
Access = strawberry.enum(Enum("Access", {c.value: c.value for c in models.PointOfInterest.Access}))
LayerVisibility = strawberry.enum(
    Enum("LayerVisibility", {c.value: c.value for c in models.BoundaryLayer.Visibility}),
    description="PUBLIC: everyone; MEMBERS: the owner's members only.",
)
OrganisationKind = strawberry.enum(Enum("OrganisationKind", {c.value: c.value for c in models.Organisation.Kind}))


def _open_offers(info: strawberry.Info) -> Prefetch:
    from offers.models import Offer  # places does not depend on offers at load time

    offers = Offer.objects.filter(status=Offer.Status.OPEN).order_by("-created_at", "-id")
    return Prefetch("offers", queryset=only_visible(offers, info.context.request), to_attr="open_offers")


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
        if not hasattr(root, "extent_geometry"):  # a layer the optimizer did not fetch (a district's, a result's)
            layer = models.BoundaryLayer.objects.filter(pk=root.pk).annotate(extent_geometry=_layer_extent())
            root.extent_geometry = layer.values_list("extent_geometry", flat=True).first()
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

    @strawberry_django.field(
        only=["geometry"],
        description="The district's area: a GeoJSON MultiPolygon, simplified to `simplifyMeters` when given "
        "(about a screen pixel's ground size for the map's zoom: 150 m at zoom 10, 10 m at zoom 14) so that a "
        "whole city's boundaries load fast. Simplification keeps each polygon valid.",
    )
    def geometry(self, root: strawberry.Parent, simplify_meters: float | None = None) -> GeoJSON:
        if simplify_meters is None or simplify_meters == 0:
            return geometry_to_geojson(root.geometry)
        if not 0 < simplify_meters <= MAX_SIMPLIFY_M:
            raise bad_input(f"simplifyMeters is more than 0 and at most {MAX_SIMPLIFY_M:g}, got {simplify_meters}")
        simplified = root.geometry.simplify(simplify_meters / METRES_PER_DEGREE, preserve_topology=True)
        # GEOS gives a one-part MultiPolygon back as a Polygon: the type stays what the field says.
        return geometry_to_geojson(MultiPolygon(simplified) if isinstance(simplified, Polygon) else simplified)


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
    hearing_loop: bool | None
    parking: bool | None = strawberry_django.field(description="Accessible parking; null: unknown.")


@strawberry_django.type(models.Organisation, name="Organisation")
class OrganisationType(relay.Node, Located):
    id: relay.NodeID[int]
    name: str
    kind: OrganisationKind
    categories: list[str]
    address: str
    website: str

    @strawberry_django.field(
        prefetch_related=[lambda info: _open_offers(info)],
        description="What it offers: its open offers, newest first (a community's only for its members).",
    )
    def offers(self, root: strawberry.Parent, info: strawberry.Info, first: int = 5) -> list[OfferRef]:
        if not 0 <= first <= 50:
            raise bad_input(f"first is 0 to 50, got {first}")
        if not hasattr(root, "open_offers"):  # an organisation the optimizer did not fetch (a match's, a digest's)
            prefetch_related_objects([root], _open_offers(info))
        return root.open_offers[:first]
