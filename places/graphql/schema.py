"""Query fields of places: layers, districts, districtAt, buildings, points of interest."""

import strawberry
import strawberry_django
from django.db.models import QuerySet
from strawberry import relay

from geoschema.errors import not_found
from geoschema.located import OrderBy
from geoschema.pagination import GeoConnection
from places import selectors
from places.graphql.inputs import PointInput, SpatialFilter, spatial_query
from places.graphql.types import BoundaryLayerType, BuildingType, DistrictType, PointOfInterestType
from places.models import BoundaryLayer, District


def ordered(queryset: QuerySet, order_by: OrderBy | None) -> QuerySet:
    """ID and NEWEST orders; DISTANCE is set by the spatial filter."""
    if order_by == OrderBy.NEWEST:
        return queryset.order_by("-id")
    if order_by == OrderBy.DISTANCE:
        return queryset
    return queryset.order_by("id")


def located_list(queryset: QuerySet, spatial: SpatialFilter | None, order_by: OrderBy | None) -> QuerySet:
    by_distance = order_by == OrderBy.DISTANCE
    query = spatial_query(spatial, by_distance)
    return selectors.located_filter(ordered(queryset, order_by), query, by_distance=by_distance)


def layer_or_error(slug: str) -> BoundaryLayer:
    layer = selectors.layer_by_slug(slug)
    if layer is None:
        raise not_found(f"no boundary layer {slug!r}: the `layers` query lists them")
    return layer


@strawberry.type
class Query:
    @strawberry_django.field(description="The boundary layers the caller may see.")
    def layers(self) -> list[BoundaryLayerType]:
        return BoundaryLayer.objects.all()

    @strawberry_django.connection(GeoConnection[DistrictType], description="The areas of a layer.")
    def districts(self, layer: str | None = None, spatial: SpatialFilter | None = None) -> QuerySet[District]:
        queryset = selectors.districts_of(layer=layer_or_error(layer) if layer else None)
        return selectors.district_filter(queryset, spatial_query(spatial, False)).order_by("layer_id", "code", "id")

    @strawberry_django.field(description="The district of `layer` (a slug) that holds the point, if any.")
    def district_at(self, point: PointInput, layer: str) -> DistrictType | None:
        return selectors.district_at(point=point.to_point(), layer=layer_or_error(layer))

    @strawberry_django.connection(GeoConnection[BuildingType], description="Buildings and residences.")
    def buildings(self, spatial: SpatialFilter | None = None, order_by: OrderBy | None = None) -> QuerySet:
        return located_list(selectors.buildings(), spatial, order_by)

    @strawberry_django.connection(
        GeoConnection[PointOfInterestType],
        description="Merchants, libraries, parks, community centres... `categories` keeps those with any of them.",
    )
    def points_of_interest(
        self,
        spatial: SpatialFilter | None = None,
        categories: list[str] | None = None,
        order_by: OrderBy | None = None,
    ) -> QuerySet:
        return located_list(selectors.points_of_interest(categories=categories), spatial, order_by)

    node: relay.Node | None = strawberry_django.node(description="Any object by its global id; null if there is none.")
