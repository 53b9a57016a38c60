"""Query fields of offers, needs and projects: the located lists."""

from enum import Enum
from typing import Annotated

import strawberry
import strawberry_django
from django.db.models import QuerySet

from accounts.permissions import only_visible, seen_communities
from geoschema.errors import bad_input, limit_exceeded
from geoschema.features import PROPERTIES, district_collection, feature_collection
from geoschema.located import OrderBy
from geoschema.pagination import GeoConnection
from geoschema.scalars import GeoJSON
from offers import clusters as cluster_grid
from offers import selectors
from offers.graphql.types import HelpKind, NeedType, OfferType, ProjectStatus, ProjectType, TimeRangeInput
from places import selectors as place_selectors
from places.graphql.inputs import BBoxInput, SpatialFilter, spatial_query
from places.graphql.schema import layer_or_error, located_list

MAP_LAYER_MAX = 50_000
LAYER_ARGUMENT = "DISTRICT only: the boundary layer's slug (`layers` lists them)."
ZOOM_ARGUMENT = "DISTRICT only: each boundary simplified to half a screen pixel at this zoom (0-22)."
MapLayerKind = strawberry.enum(
    Enum("MapLayerKind", {name: name for name in [*PROPERTIES, "DISTRICT"]}),
    description="What a map layer shows: located things, or the districts of a boundary layer.",
)
# The filters each map layer takes (projects and districts have neither a kind of help nor categories;
# points of interest have categories only): one given where it does not apply is refused, never ignored.
FILTERS = {
    MapLayerKind.OFFER: ("kinds", "categories"),
    MapLayerKind.NEED: ("kinds", "categories"),
    MapLayerKind.PROJECT: (),
    MapLayerKind.POINT_OF_INTEREST: ("categories",),
    MapLayerKind.DISTRICT: (),
}


def _window(available_between: TimeRangeInput | None) -> dict:
    if available_between is None:
        return {"available_from": None, "available_until": None}
    start, end = available_between.start, available_between.end
    if start is not None and end is not None and start > end:
        raise bad_input("availableBetween.start must not be after availableBetween.end")
    return {"available_from": start, "available_until": end}


def _values(enums) -> list[str] | None:
    return [e.value for e in enums] if enums else None


def _check_filters(of, **given) -> None:
    """BAD_INPUT naming the first filter given (non-empty) that does not apply to the layer `of`."""
    for name, value in given.items():
        if value and name not in FILTERS[of]:
            takers = " and ".join(kind.value for kind, names in FILTERS.items() if name in names)
            raise bad_input(f"{name} does not apply to {of.value}: it filters {takers} only; leave it out")


def _map_source(info: strawberry.Info, of, kinds, categories: list[str] | None = None) -> QuerySet:
    request = info.context.request
    kinds = _values(kinds)
    sources = {
        MapLayerKind.OFFER: lambda: only_visible(selectors.offers(kinds=kinds, categories=categories), request),
        MapLayerKind.NEED: lambda: only_visible(selectors.needs(kinds=kinds, categories=categories), request),
        MapLayerKind.PROJECT: lambda: only_visible(selectors.projects(), request),
        MapLayerKind.POINT_OF_INTEREST: lambda: place_selectors.points_of_interest(categories=categories),
    }
    return sources[of]()


def _district_layer(info, spatial, limit: int, layer: str | None, zoom: int | None) -> dict:
    if layer is None:
        raise bad_input("a DISTRICT map layer needs `layer`: a boundary layer's slug (`layers` lists them)")
    if zoom is not None and not 0 <= zoom <= 22:
        raise bad_input(f"zoom is 0 to 22, got {zoom}")
    districts = place_selectors.districts_of(layer=layer_or_error(info, layer))
    districts = place_selectors.district_filter(districts, spatial_query(info, spatial, False)).order_by("code", "id")
    collection, truncated = district_collection(districts, limit, zoom)
    return {**collection, "truncated": truncated}


@strawberry.type
class Query:
    @strawberry_django.connection(GeoConnection[OfferType], description="What people and organisations offer.")
    def offers(
        self,
        info: strawberry.Info,
        spatial: SpatialFilter | None = None,
        kinds: list[HelpKind] | None = None,
        categories: list[str] | None = None,
        available_between: TimeRangeInput | None = None,
        order_by: OrderBy | None = None,
    ) -> QuerySet:
        queryset = selectors.offers(kinds=_values(kinds), categories=categories, **_window(available_between))
        return located_list(info, queryset, spatial, order_by)

    @strawberry_django.connection(GeoConnection[NeedType], description="What people and projects ask for.")
    def needs(
        self,
        info: strawberry.Info,
        spatial: SpatialFilter | None = None,
        kinds: list[HelpKind] | None = None,
        categories: list[str] | None = None,
        available_between: TimeRangeInput | None = None,
        order_by: OrderBy | None = None,
    ) -> QuerySet:
        queryset = selectors.needs(kinds=_values(kinds), categories=categories, **_window(available_between))
        return located_list(info, queryset, spatial, order_by)

    @strawberry_django.connection(GeoConnection[ProjectType], description="Community projects.")
    def projects(
        self,
        info: strawberry.Info,
        spatial: SpatialFilter | None = None,
        statuses: list[ProjectStatus] | None = None,
        order_by: OrderBy | None = None,
    ) -> QuerySet:
        return located_list(info, selectors.projects(statuses=_values(statuses)), spatial, order_by)

    @strawberry.field(
        description="A whole map layer (offers, needs, projects, points of interest, or the districts of a "
        "boundary layer) for a spatial filter, as one GeoJSON FeatureCollection built by PostGIS, with the "
        "properties a map needs and at most `limit` features (`truncated: true` when there were more)."
    )
    def map_layer(
        self,
        info: strawberry.Info,
        of: MapLayerKind,
        spatial: SpatialFilter | None = None,
        kinds: list[HelpKind] | None = None,
        categories: list[str] | None = None,
        limit: int = 1000,
        layer: Annotated[str | None, strawberry.argument(description=LAYER_ARGUMENT)] = None,
        zoom: Annotated[int | None, strawberry.argument(description=ZOOM_ARGUMENT)] = None,
    ) -> GeoJSON:
        if limit < 1:
            raise bad_input(f"limit must be 1 or more, got {limit}")
        if limit > MAP_LAYER_MAX:
            raise limit_exceeded(f"limit is at most {MAP_LAYER_MAX}, got {limit}: narrow the area instead")
        _check_filters(of, kinds=kinds, categories=categories)
        if of == MapLayerKind.DISTRICT:
            return _district_layer(info, spatial, limit, layer, zoom)
        if layer is not None or zoom is not None:
            raise bad_input("layer and zoom apply to a DISTRICT map layer only")
        queryset = located_list(info, _map_source(info, of, kinds, categories).order_by("id"), spatial, None)
        collection, truncated = feature_collection(queryset, of.value, limit)
        return {**collection, "truncated": truncated}

    @strawberry.field(
        description="Points of a map layer grouped for a zoom level: the cells of a grid (90 / 2^zoom degrees, about "
        "64 screen pixels) that hold points of the bbox, each with the count and centroid of all its points. A "
        "frontend can show any number of offers without receiving them."
    )
    def clusters(
        self,
        info: strawberry.Info,
        bbox: BBoxInput,
        zoom: int,
        of: MapLayerKind = MapLayerKind.OFFER,
        kinds: list[HelpKind] | None = None,
        categories: list[str] | None = None,
    ) -> GeoJSON:
        if not 0 <= zoom <= 22:
            raise bad_input(f"zoom is 0 to 22, got {zoom}")
        if of == MapLayerKind.DISTRICT:
            raise bad_input("clusters group located things; districts are a map layer: mapLayer(of: DISTRICT)")
        _check_filters(of, kinds=kinds, categories=categories)
        view = bbox.extent()  # any size: the cells are few at the zoom of a view that size
        if (cells := cluster_grid.cell_count(view, zoom)) > cluster_grid.CELLS_MAX:
            raise limit_exceeded(
                f"the bbox covers {cells:,} cells at zoom {zoom}, at most {cluster_grid.CELLS_MAX:,}: zoom out"
            )
        if of.value in cluster_grid.KEPT_LAYERS and not categories and zoom <= cluster_grid.KEPT_ZOOM:
            communities = seen_communities(info.context.request)
            return cluster_grid.kept(of.value, zoom, view, kinds=_values(kinds), communities=communities)
        bbox.to_polygon()  # grouping the rows reads them all: the size of any other list's viewport
        return cluster_grid.grouped(_map_source(info, of, kinds, categories), zoom, view)
