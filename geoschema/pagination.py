"""Relay connections for every list: page-size limits with clear errors, `totalCount`, and
nearest-first pages that the GiST index answers.

Nearest first must follow the exact spheroid distance (what `distanceMeters` shows), but the index
orders by the `<->` sphere distance. So for a page ending at position n, the n nearest rows by the
index give a distance bound D: the true n nearest are all within D on the spheroid. The page is
then sorted exactly among the rows within D only, instead of among all rows within the radius.
"""

from typing import Any

import strawberry
from django.conf import settings
from django.db import models
from strawberry import Info, relay
from strawberry_django.pagination import get_total_count
from strawberry_django.relay import DjangoListConnection

from geoschema.errors import bad_input, limit_exceeded
from places.geo import DistanceTo, KnnTo
from places.selectors import within_radius

# How much further than the bound the exact filter reaches: floating point, nothing more.
BOUND_SLACK_M = 0.001


def check_page(first: int | None, last: int | None) -> int | None:
    limit = settings.QUARTIER["PAGE_SIZE_MAX"]
    for name, value in (("first", first), ("last", last)):
        if value is not None and value < 0:
            raise bad_input(f"'{name}' must be 0 or more, got {value}")
        if value is not None and value > limit:
            raise limit_exceeded(f"'{name}' is at most {limit}, got {value}: page with 'after' instead")
    if first is None and last is None:
        return settings.QUARTIER["PAGE_SIZE_DEFAULT"]
    return first


@strawberry.type(name="Connection", description="A page of a list, with the total count of the list.")
class GeoConnection(DjangoListConnection[relay.NodeType]):
    all_nodes: strawberry.Private[Any] = None

    @strawberry.field(description="How many nodes the whole list holds.")
    def total_count(self) -> int | None:
        if self.all_nodes is not None:
            return get_total_count(self.all_nodes)
        return DjangoListConnection.total_count(self)

    @classmethod
    def resolve_connection(cls, nodes, *, info: Info, before=None, after=None, first=None, last=None, **kwargs):
        first = check_page(first, last)
        kwargs["max_results"] = settings.QUARTIER["PAGE_SIZE_MAX"]
        window = _nearest_window(nodes, after=after, first=first) if last is None and before is None else None
        if window is None:
            return super().resolve_connection(
                nodes, info=info, before=before, after=after, first=first, last=last, **kwargs
            )
        conn = super().resolve_connection(window, info=info, before=before, after=after, first=first, last=last, **kwargs)
        conn.all_nodes = nodes
        return conn


def _nearest_window(nodes: Any, *, after: str | None, first: int | None) -> models.QuerySet | None:
    """`nodes` restricted to the rows that can be on the page, when it is ordered nearest first."""
    if not isinstance(nodes, models.QuerySet) or first is None:
        return None
    distance = nodes.query.annotations.get("distance_meters")
    if not isinstance(distance, DistanceTo) or tuple(nodes.query.order_by[:1]) != ("distance_meters",):
        return None
    offset = 0
    if after:
        try:
            offset = int(relay.from_base64(after)[1]) + 1
        except (ValueError, TypeError) as exc:
            raise bad_input(f"'after' is not a cursor of this list: {after!r}") from exc
    upto = offset + first + 1  # one more tells whether a next page exists
    nearest = (
        nodes.prefetch_related(None)
        .order_by(KnnTo(distance.origin))
        .values_list("distance_meters", flat=True)[:upto]
    )
    bounds = list(nearest)
    if len(bounds) < upto:
        return None  # the whole list fits: nothing to narrow
    return within_radius(nodes, distance.origin, max(bounds) + BOUND_SLACK_M)
