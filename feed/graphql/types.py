"""GraphQL types of the feed: posts, feed items and pages, the lobby digest."""

from datetime import datetime
from typing import Annotated

import strawberry
import strawberry_django
from strawberry import relay

from accounts.permissions import visible_posts
from events.graphql.types import EventType
from feed import models
from geoschema.scalars import GeoJSON, geometry_to_geojson
from offers.graphql.types import NeedType, OfferType, ProjectType
from places.graphql.types import BuildingType, DistrictType, OrganisationType

CommunityRef = Annotated["CommunityType", strawberry.lazy("accounts.graphql.schema")]  # noqa: F821


@strawberry_django.type(models.Post, name="Post", description="An announcement or a discussion message to a place.")
class PostType(relay.Node):
    id: relay.NodeID[int]
    title: str
    body: str = strawberry_django.field(description="Empty once deleted.")
    created_at: datetime
    edited_at: datetime | None
    deleted_at: datetime | None
    organisation: OrganisationType | None
    building: BuildingType | None = strawberry_django.field(description="Audience: a building.")
    district: DistrictType | None = strawberry_django.field(description="Audience: a district of any layer.")
    community: CommunityRef | None = strawberry_django.field(description="Audience: a community (members only).")
    radius_meters: float | None = strawberry_django.field(field_name="radius_m", description="Audience: a radius.")
    parent: "PostType | None"

    @classmethod
    def get_queryset(cls, queryset, info: strawberry.Info, **kwargs):
        return visible_posts(queryset, info.context.request)

    @strawberry_django.field(only=["centre"], description="Audience: the centre of the radius, a GeoJSON Point.")
    def centre(self, root: strawberry.Parent) -> GeoJSON | None:
        return geometry_to_geojson(root.centre)

    @strawberry_django.field(only=["owner__first_name"], select_related=["owner"], description="Who wrote it.")
    def author_name(self, root: strawberry.Parent) -> str:
        return root.owner.first_name if root.owner else ""

    @strawberry_django.field(description="Replies, oldest first.")
    def replies(self, root: strawberry.Parent, info: strawberry.Info) -> list["PostType"]:
        return visible_posts(root.replies.order_by("created_at", "id"), info.context.request)


FeedItem = Annotated[
    PostType | EventType | ProjectType | NeedType | OfferType,
    strawberry.union("FeedItem", description="Something addressed to a place."),
]


@strawberry.type(name="FeedEdge")
class FeedEdge:
    cursor: str
    node: FeedItem


@strawberry.type(name="FeedPageInfo")
class FeedPageInfo:
    has_next_page: bool
    has_previous_page: bool
    start_cursor: str | None
    end_cursor: str | None


@strawberry.type(
    name="FeedConnection",
    description="A place's feed, newest first, paged forward with `after` (a cursor holds where an item stands, "
    "so a page stays right while new items arrive).",
)
class FeedConnection:
    edges: list[FeedEdge]
    page_info: FeedPageInfo
    sources: strawberry.Private[dict]  # kind -> the QuerySet of what the caller may see of it

    @strawberry.field(description="How many items the whole feed holds.")
    def total_count(self) -> int:
        return sum(queryset.count() for queryset in self.sources.values())


@strawberry.type(name="Digest", description="What a screen in a building's hall shows, a few items of each.")
class DigestType:
    building: BuildingType
    events: list[EventType] = strawberry.field(description="Upcoming within walking distance (1 km), soonest first.")
    needs: list[NeedType] = strawberry.field(description="Open needs in and around the building (300 m).")
    projects: list[ProjectType] = strawberry.field(description="Projects of the building's districts.")
    organisations: list[OrganisationType] = strawberry.field(description="Associations and shops nearby.")
    posts: list[PostType] = strawberry.field(description="The latest posts to the building or its districts.")
