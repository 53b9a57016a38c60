"""Query fields of the feed: a place's feed and a building's lobby digest."""

import base64
import json
from datetime import datetime

import orjson
import strawberry
from django.conf import settings
from strawberry import relay

from accounts.permissions import on_screen_in, only_visible, visible_layers
from feed import selectors
from feed.graphql.types import DigestType, FeedConnection, FeedEdge, FeedPageInfo
from geoschema.errors import bad_input, limit_exceeded
from geoschema.ids import object_from_id
from places.graphql.inputs import PointInput, district_from_id
from places.models import Building

SCREEN_MAX = 20


def _cursor(row: tuple) -> str:
    at, rank, pk, _ = row
    return base64.urlsafe_b64encode(json.dumps([at.isoformat(), rank, pk]).encode()).decode()


def _after(after: str | None) -> tuple[datetime, int, int] | None:
    if after is None:
        return None
    try:
        at, rank, pk = orjson.loads(base64.urlsafe_b64decode(after.encode()))  # no NaN, no Infinity
        if not isinstance(rank, int) or not isinstance(pk, int):
            raise TypeError(after)
        return datetime.fromisoformat(at), rank, pk
    except (ValueError, TypeError) as exc:
        raise bad_input("after: not a cursor of this feed (use pageInfo.endCursor)") from exc


def _building(global_id: relay.GlobalID, argument: str) -> Building:
    return object_from_id(global_id, "Building", Building.objects.all(), argument)


@strawberry.type
class Query:
    @strawberry.field(
        description="What is addressed to a place (give exactly one of point, buildingId, districtId), newest first: "
        "posts to it, new offers, needs and projects nearby, upcoming events. Members-only items for members only."
    )
    def feed(
        self,
        info: strawberry.Info,
        point: PointInput | None = None,
        building_id: relay.GlobalID | None = None,
        district_id: relay.GlobalID | None = None,
        first: int = settings.QUARTIER["PAGE_SIZE_DEFAULT"],
        after: str | None = None,
    ) -> FeedConnection:
        if sum(x is not None for x in (point, building_id, district_id)) != 1:
            raise bad_input("give exactly one of point, buildingId, districtId")
        limit = settings.QUARTIER["PAGE_SIZE_MAX"]
        if first < 0:
            raise bad_input(f"'first' must be 0 or more, got {first}")
        if first > limit:
            raise limit_exceeded(f"'first' is at most {limit}, got {first}: page with 'after' instead")
        request = info.context.request
        layers = visible_layers(request.user)
        if building_id is not None:
            building = _building(building_id, "buildingId")
            place = selectors.Place(point=building.location, building=building)
        elif district_id is not None:
            district = district_from_id(district_id, "districtId", layers)
            place = selectors.Place(point=district.geometry.point_on_surface, district=district)
        else:
            place = selectors.Place(point=point.to_point("point"))
        sources = {kind: only_visible(qs, request) for kind, qs in selectors.feed_sources(place, layers).items()}
        rows = selectors.newest(sources, first, _after(after))
        edges = [FeedEdge(cursor=_cursor(row), node=row[3]) for row in rows[:first]]
        page_info = FeedPageInfo(
            has_next_page=len(rows) > first,
            has_previous_page=after is not None,  # a cursor stands after at least the item it names
            start_cursor=edges[0].cursor if edges else None,
            end_cursor=edges[-1].cursor if edges else None,
        )
        return FeedConnection(edges=edges, page_info=page_info, sources=sources)

    @strawberry.field(
        description="What a screen in a building's hall shows: upcoming events within walking distance, neighbours' "
        "needs, the district's projects, organisations nearby, the latest posts. A bounded number of queries: fit "
        "to refresh every minute for thousands of buildings. Public items only, and those of the building's own "
        "communities."
    )
    def digest(
        self,
        building_id: relay.GlobalID,
        events: int = 3,
        needs: int = 5,
        projects: int = 3,
        organisations: int = 3,
        posts: int = 5,
    ) -> DigestType:
        sizes = {"events": events, "needs": needs, "projects": projects, "organisations": organisations, "posts": posts}
        for name, size in sizes.items():
            if not 0 <= size <= SCREEN_MAX:
                raise bad_input(f"{name}: 0 to {SCREEN_MAX} items fit on a screen, got {size}")
        building = _building(building_id, "buildingId")
        sources = selectors.digest_sources(building)
        shown = {name: list(on_screen_in(sources[name], building)[:size]) for name, size in sizes.items()}
        return DigestType(building=building, **shown)
