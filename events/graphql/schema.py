"""Query fields of events."""

from enum import Enum

import strawberry
import strawberry_django
from django.db.models import QuerySet

from events import selectors
from events.graphql.types import EventType
from geoschema.errors import bad_input
from geoschema.located import OrderBy
from geoschema.pagination import GeoConnection
from offers.graphql.types import TimeRangeInput
from places.graphql.inputs import SpatialFilter
from places.graphql.schema import located_list


@strawberry.enum(description="The order of events: soonest first, or nearest first (with `spatial.near`).")
class EventOrder(Enum):
    START = "START"
    DISTANCE = "DISTANCE"


@strawberry.type
class Query:
    @strawberry_django.connection(
        GeoConnection[EventType],
        description="Events around: those that overlap `between` (by default, those not over yet), with any of "
        "`categories`, soonest first or nearest first.",
    )
    def events(
        self,
        info: strawberry.Info,
        spatial: SpatialFilter | None = None,
        between: TimeRangeInput | None = None,
        categories: list[str] | None = None,
        order_by: EventOrder = EventOrder.START,
    ) -> QuerySet:
        start, end = (between.start, between.end) if between else (None, None)
        if start is not None and end is not None and start > end:
            raise bad_input("between.start must not be after between.end")
        queryset = selectors.events(start=start, end=end, categories=categories)
        if order_by == EventOrder.DISTANCE:
            return located_list(info, queryset, spatial, OrderBy.DISTANCE)
        return located_list(info, queryset, spatial, None).order_by("starts_at", "id")
