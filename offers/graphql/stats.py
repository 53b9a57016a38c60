"""Query fields for analysts: activity per district (areaStats, its choropleth) and on a grid."""

import math
from datetime import datetime
from enum import Enum
from typing import Annotated

import strawberry
from strawberry import relay

from accounts.permissions import seen_communities
from geoschema.errors import bad_input, limit_exceeded
from geoschema.scalars import GeoJSON
from offers.graphql.types import AreaStatType, HelpKind, KindCountType
from offers.stats import COUNTS, AreaStat, activity_grid, area_stats, grid_cell_count
from places.graphql.inputs import BBoxInput
from places.graphql.schema import layer_or_error
from places.models import District

MAX_GRID_CELLS = 20_000
MIN_CELL_METERS, MAX_CELL_METERS = 50, 50_000  # from a block to a region; larger cells tell nothing
FromArgument = Annotated[datetime | None, strawberry.argument(name="from", description="Start of the period.")]


@strawberry.enum(description="The cells of a heat map.")
class GridShape(Enum):
    HEXAGON = "HEXAGON"
    SQUARE = "SQUARE"


def check_period(start: datetime | None, end: datetime | None) -> None:
    if start is not None and end is not None and start > end:
        raise bad_input("'from' must not be after 'to'")


@strawberry.type
class Query:
    @strawberry.field(description="Activity per district of a layer over [from, to).")
    def area_stats(
        self,
        info: strawberry.Info,
        layer: str,
        from_: FromArgument = None,
        to: datetime | None = None,
    ) -> list[AreaStatType]:
        stats = _area_stats(info, layer, from_, to)
        districts = District.objects.select_related("layer").defer("geometry").in_bulk([s.district_id for s in stats])
        return [_area_stat_type(stat, districts[stat.district_id]) for stat in stats]

    @strawberry.field(
        name="areaStatsGeoJSON",
        description="areaStats as a GeoJSON FeatureCollection, the figures as properties: a choropleth.",
    )
    def area_stats_geo_json(
        self,
        info: strawberry.Info,
        layer: str,
        from_: FromArgument = None,
        to: datetime | None = None,
        simplify_meters: float = 0.0,
    ) -> GeoJSON:
        if not 0 <= simplify_meters <= 1000:
            raise bad_input("simplifyMeters must be within 0..1000")
        stats = _area_stats(info, layer, from_, to, with_geometry=True, simplify_m=simplify_meters)
        return {"type": "FeatureCollection", "features": [stat_feature(stat) for stat in stats]}

    @strawberry.field(
        description="Activity on hexagon or square cells over a viewport, as a GeoJSON FeatureCollection of the "
        "cells with something in them: a heat map. `cellMeters` is a square's side or a hexagon's edge (its "
        f"centre-to-corner distance), {MIN_CELL_METERS} to {MAX_CELL_METERS} m. Small counts are withheld."
    )
    def activity_grid(
        self,
        info: strawberry.Info,
        bbox: BBoxInput,
        cell_meters: float,
        shape: GridShape = GridShape.HEXAGON,
        from_: FromArgument = None,
        to: datetime | None = None,
    ) -> GeoJSON:
        box = bbox.to_polygon().extent
        if not (math.isfinite(cell_meters) and MIN_CELL_METERS <= cell_meters <= MAX_CELL_METERS):
            raise bad_input(
                f"cellMeters must be within {MIN_CELL_METERS}..{MAX_CELL_METERS} metres, got {cell_meters:g}"
            )
        cells = grid_cell_count(box, cell_meters)
        if cells > MAX_GRID_CELLS:
            raise limit_exceeded(f"that grid has about {cells:.0f} cells; at most {MAX_GRID_CELLS}: larger cells")
        check_period(from_, to)
        grid = activity_grid(
            bbox=box,
            cell_m=cell_meters,
            shape=shape.value,
            start=from_,
            end=to,
            staff=info.context.request.user.is_staff,
            communities=seen_communities(info.context.request),
        )
        features = [
            {"type": "Feature", "id": f"{c.i}:{c.j}", "geometry": c.geometry, "properties": c.counts} for c in grid
        ]
        return {"type": "FeatureCollection", "features": features}


def _area_stats(info, layer_slug: str, start, end, **options) -> list[AreaStat]:
    check_period(start, end)
    layer = layer_or_error(info, layer_slug)
    request = info.context.request
    return area_stats(
        layer=layer,
        start=start,
        end=end,
        staff=request.user.is_staff,
        communities=seen_communities(request),
        **options,
    )


def _kinds(counts: dict) -> list[KindCountType]:
    return [KindCountType(kind=HelpKind(kind), count=n) for kind, n in counts.items()]


def _area_stat_type(stat: AreaStat, district) -> AreaStatType:
    return AreaStatType(
        district=district,
        offers=stat.offers,
        needs=stat.needs,
        projects=stat.projects,
        pledges=stat.pledges,
        people=stat.people,
        organisations=stat.organisations,
        offers_by_kind=_kinds(stat.offers_by_kind),
        needs_by_kind=_kinds(stat.needs_by_kind),
        pledged_quantity=stat.pledged_quantity,
        money_pledged=stat.money_pledged,
        money_received=stat.money_received,
    )


def stat_feature(stat: AreaStat) -> dict:
    properties = {
        "districtId": str(relay.GlobalID("District", str(stat.district_id))),
        "code": stat.code,
        "name": stat.name,
        **{name: getattr(stat, name) for name in COUNTS},
        "offersByKind": stat.offers_by_kind,
        "needsByKind": stat.needs_by_kind,
        **{
            camel: None if getattr(stat, name) is None else str(getattr(stat, name))
            for name, camel in (
                ("pledged_quantity", "pledgedQuantity"),
                ("money_pledged", "moneyPledged"),
                ("money_received", "moneyReceived"),
            )
        },
    }
    return {"type": "Feature", "id": stat.code, "geometry": stat.geometry, "properties": properties}
