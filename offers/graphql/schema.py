"""Query fields of offers, needs and projects: the located lists."""

import strawberry
import strawberry_django
from django.db.models import QuerySet

from geoschema.errors import bad_input
from geoschema.located import OrderBy
from geoschema.pagination import GeoConnection
from offers import selectors
from offers.graphql.types import HelpKind, NeedType, OfferType, ProjectStatus, ProjectType, TimeRangeInput
from places.graphql.inputs import SpatialFilter
from places.graphql.schema import located_list


def _window(available_between: TimeRangeInput | None) -> dict:
    if available_between is None:
        return {"available_from": None, "available_until": None}
    start, end = available_between.start, available_between.end
    if start is not None and end is not None and start > end:
        raise bad_input("availableBetween.start must not be after availableBetween.end")
    return {"available_from": start, "available_until": end}


def _values(enums) -> list[str] | None:
    return [e.value for e in enums] if enums else None


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
