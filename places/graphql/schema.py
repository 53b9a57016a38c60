"""Query fields of places: layers, districts, districtAt, buildings, points of interest."""

import strawberry
import strawberry_django
from django.db.models import QuerySet
from strawberry import relay

from accounts.permissions import visible_layers
from geoschema import compiled
from geoschema.errors import not_found
from geoschema.ids import NamesANode
from geoschema.located import OrderBy
from geoschema.pagination import GeoConnection
from places import selectors
from places.graphql.inputs import AccessibilityFilter, PointInput, SpatialFilter, spatial_query
from places.graphql.types import (
    BoundaryLayerType,
    BuildingType,
    DistrictType,
    OrganisationKind,
    OrganisationType,
    PointOfInterestType,
)
from places.models import BoundaryLayer, District


def ordered(queryset: QuerySet, order_by: OrderBy | None) -> QuerySet:
    """ID and NEWEST orders; DISTANCE is set by the spatial filter."""
    if order_by == OrderBy.NEWEST:
        return queryset.order_by("-id")
    if order_by == OrderBy.DISTANCE:
        return queryset
    return queryset.order_by("id")


def located_list(
    info: strawberry.Info, queryset: QuerySet, spatial: SpatialFilter | None, order_by: OrderBy | None
) -> QuerySet:
    by_distance = order_by == OrderBy.DISTANCE
    query = spatial_query(info, spatial, by_distance)
    return compiled.unoptimized(
        selectors.located_filter(ordered(queryset, order_by), query, by_distance=by_distance), info
    )


def layer_or_error(info: strawberry.Info, slug: str, version: int | None = None) -> BoundaryLayer:
    """A layer the caller may see: the current version, or the version asked for."""
    layer = selectors.layer_by_slug(slug, version=version, visible=visible_layers(info.context.request.user))
    if layer is None:
        which = f"version {version} of " if version is not None else ""
        raise not_found(f"no {which}boundary layer {slug!r}: the `layers` query lists them")
    return layer


@strawberry.type
class Query:
    @strawberry_django.field(description="The boundary layers the caller may see.")
    def layers(self, info: strawberry.Info) -> list[BoundaryLayerType]:
        return visible_layers(info.context.request.user).filter(is_current=True)

    @strawberry_django.connection(
        GeoConnection[DistrictType],
        description="The areas of a layer. Areas are not points, so `spatial` keeps those with any part within "
        "`near`'s radius, those overlapping `withinGeometry` or `bbox` (what a map shows), and those whose "
        "representative point lies in `withinDistrict` (a borough's quartiers).",
    )
    def districts(
        self,
        info: strawberry.Info,
        layer: str | None = None,
        version: int | None = None,
        spatial: SpatialFilter | None = None,
    ) -> QuerySet[District]:
        queryset = selectors.districts_of(layer=layer_or_error(info, layer, version) if layer else None)
        if layer is None:
            visible = visible_layers(info.context.request.user).filter(is_current=True)
            queryset = queryset.filter(layer__in=visible.values("pk"))
        query = spatial_query(info, spatial, False)
        return selectors.district_filter(queryset, query).order_by("layer_id", "code", "id")

    @strawberry_django.field(description="The district of `layer` (a slug) that holds the point, if any.")
    def district_at(
        self, info: strawberry.Info, point: PointInput, layer: str, version: int | None = None
    ) -> DistrictType | None:
        return selectors.district_at(point=point.to_point(), layer=layer_or_error(info, layer, version))

    @strawberry_django.connection(GeoConnection[BuildingType], description="Buildings and residences.")
    def buildings(
        self, info: strawberry.Info, spatial: SpatialFilter | None = None, order_by: OrderBy | None = None
    ) -> QuerySet:
        return located_list(info, selectors.buildings(), spatial, order_by)

    @strawberry_django.connection(
        GeoConnection[PointOfInterestType],
        description="Merchants, libraries, parks, community centres... `categories` keeps those with any of them, "
        "`accessibility` those known to have what it asks (an accessibility map: wheelchair-accessible libraries "
        "within 1 km).",
    )
    def points_of_interest(
        self,
        info: strawberry.Info,
        spatial: SpatialFilter | None = None,
        categories: list[str] | None = None,
        accessibility: AccessibilityFilter | None = None,
        order_by: OrderBy | None = None,
    ) -> QuerySet:
        wanted = accessibility.wanted() if accessibility else None
        queryset = selectors.points_of_interest(categories=categories, accessibility=wanted)
        return located_list(info, queryset, spatial, order_by)

    @strawberry_django.connection(
        GeoConnection[OrganisationType],
        description="The associations, merchants, partners and public bodies around, with what they offer.",
    )
    def organisations(
        self,
        info: strawberry.Info,
        spatial: SpatialFilter | None = None,
        kinds: list[OrganisationKind] | None = None,
        categories: list[str] | None = None,
        order_by: OrderBy | None = None,
    ) -> QuerySet:
        queryset = selectors.organisations(kinds=[k.value for k in kinds] if kinds else None, categories=categories)
        return located_list(info, queryset, spatial, order_by)

    node: relay.Node | None = strawberry_django.node(
        description="Any object by its global id; null, with a NOT_FOUND error, if none the caller may see has it.",
        extensions=[NamesANode()],
    )
