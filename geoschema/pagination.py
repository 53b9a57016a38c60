"""Relay connections for every list: page-size limits with clear errors, `totalCount`, and
nearest-first pages that the GiST index answers.

Nearest first must follow the exact spheroid distance (what `distanceMeters` shows), but the index
orders by the `<->` sphere distance. So for a page ending at position n, the n nearest rows by the
index give a distance bound D: the true n nearest are all within D on the spheroid. The page is
then sorted exactly among the rows within D only, instead of among all rows within the radius; D
is a subquery of the page's own query, so a page is one round trip to the database.
When the caller asks for `totalCount`, every row within the radius is measured anyway, and the
plain query (sort and count in one pass) is used instead.
"""

from typing import Any

import strawberry
from django.conf import settings
from django.db import models
from django.db.models import FloatField, Subquery
from strawberry import Info, relay
from strawberry.relay.types import Edge
from strawberry_django.pagination import get_total_count
from strawberry_django.relay import DjangoListConnection
from strawberry_django.relay.list_connection import _should_optimize_total_count

from geoschema import compiled
from geoschema.errors import bad_input, limit_exceeded
from places.geo import DistanceTo, KnnTo, NearBox

CURSOR_PREFIX = Edge.CURSOR_PREFIX  # "arrayconnection": cursors are positions in the list
# How much further than the bound the box reaches: floating point, nothing more.
BOUND_SLACK_M = 0.001
POSITION_MAX = 2**62  # beyond any list; a page past it would overflow PostgreSQL's OFFSET (bigint)


def cursor_offset(cursor: str | None, argument: str) -> int | None:
    """The position a cursor of these lists points at, or BAD_INPUT."""
    if cursor is None:
        return None
    try:
        prefix, position = relay.from_base64(cursor)
        if prefix != CURSOR_PREFIX or not 0 <= int(position) <= POSITION_MAX:
            raise ValueError(prefix)
        return int(position)
    except (ValueError, TypeError) as exc:
        raise bad_input(f"'{argument}' is not a cursor of this list: {cursor!r}") from exc


def check_page(first: int | None, last: int | None, after: str | None, before: str | None) -> int | None:
    cursor_offset(after, "after")
    cursor_offset(before, "before")
    limit = settings.QUARTIER["PAGE_SIZE_MAX"]
    for name, value, cursor in (("first", first, "after"), ("last", last, "before")):
        if value is not None and value < 0:
            raise bad_input(f"'{name}' must be 0 or more, got {value}")
        if value is not None and value > limit:
            raise limit_exceeded(f"'{name}' is at most {limit}, got {value}: page with '{cursor}' instead")
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
        first = check_page(first, last, after, before)
        if last == 0:
            # An empty page just before `before` (or at the end), asked as `first: 0` from there so
            # that pageInfo says what lies on either side (Strawberry takes `last: 0` for no `last`).
            end = cursor_offset(before, "before") if before else _count(nodes)
            first, last, before = 0, None, None
            after = relay.to_base64(CURSOR_PREFIX, end - 1) if end > 0 else None
        kwargs["max_results"] = settings.QUARTIER["PAGE_SIZE_MAX"]
        # With totalCount asked for, every row within the radius is measured anyway: one query that
        # sorts them and counts them (a window function) is then cheaper than a bound and a count.
        narrow = last is None and before is None and not _should_optimize_total_count(info) and _nearest_first(nodes)
        if isinstance(nodes, models.QuerySet):
            start = cursor_offset(after, "after") + 1 if after else 0
            built = compiled.page(
                nodes,
                info,
                first=first,
                start=start,
                narrow=(lambda nodes: _nearest_window(nodes, after=after, first=first)) if narrow else None,
            )
            if built is not None:  # a selection of plain fields: the page as PostgreSQL built it
                return built
        window = _nearest_window(nodes, after=after, first=first) if narrow else None
        if window is None:
            return super().resolve_connection(
                nodes, info=info, before=before, after=after, first=first, last=last, **kwargs
            )
        conn = super().resolve_connection(
            window, info=info, before=before, after=after, first=first, last=last, **kwargs
        )
        conn.all_nodes = nodes
        return conn


def _count(nodes: Any) -> int:
    return nodes.count() if isinstance(nodes, models.QuerySet) else len(nodes)


def _nearest_first(nodes: Any) -> bool:
    """Whether `nodes` is a QuerySet ordered nearest first."""
    if not isinstance(nodes, models.QuerySet):
        return False
    distance = nodes.query.annotations.get("distance_meters")
    return isinstance(distance, DistanceTo) and tuple(nodes.query.order_by[:1]) == ("distance_meters",)


def _nearest_window(nodes: Any, *, after: str | None, first: int | None) -> models.QuerySet | None:
    """`nodes` restricted to the rows that can be on the page, when it is ordered nearest first."""
    if not _nearest_first(nodes) or first is None:
        return None
    distance = nodes.query.annotations["distance_meters"]
    offset = cursor_offset(after, "after") + 1 if after else 0
    upto = offset + first + 1  # one more tells whether a next page exists
    nearest = nodes.prefetch_related(None).order_by(KnnTo(distance.origin)).values("distance_meters")[:upto]
    return nodes.filter(NearBox(distance.origin, FarthestOf(nearest) + BOUND_SLACK_M))


class FarthestOf(Subquery):
    """The largest `distance_meters` of a subquery's rows (NULL when it has none: an empty page)."""

    template = "(SELECT max(d) FROM (%(subquery)s) AS nearest(d))"
    output_field = FloatField()
