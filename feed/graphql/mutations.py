"""Mutations of posts: parse, call a service, return."""

import strawberry
from strawberry import relay

from accounts.permissions import IsAuthenticated, visible_communities, visible_layers, visible_posts
from feed import services
from feed.graphql.types import PostType
from feed.models import Post
from geoschema.ids import object_from_id
from places.graphql.inputs import NearInput, district_from_id
from places.models import Building, Organisation


@strawberry.input(description="A new post, to exactly one audience: buildingId, districtId, near or communityId.")
class PostInput:
    body: str
    title: str = ""
    building_id: relay.GlobalID | None = None
    district_id: relay.GlobalID | None = None
    near: NearInput | None = strawberry.field(default=None, description="A radius around a place (at most 5 km).")
    community_id: relay.GlobalID | None = None
    organisation_id: relay.GlobalID | None = strawberry.field(default=None, description="Post in its name.")


def _post(info: strawberry.Info, global_id: relay.GlobalID) -> Post:
    return object_from_id(global_id, "Post", visible_posts(Post.objects.all(), info.context.request), "postId")


@strawberry.type
class Mutation:
    @strawberry.mutation(
        permission_classes=[IsAuthenticated], description="Post to a building, a district, a radius or a community."
    )
    def create_post(self, info: strawberry.Info, input: PostInput) -> PostType:
        user = info.context.request.user
        ids = (
            (input.building_id, "Building", Building.objects.all(), "buildingId"),
            (input.community_id, "Community", visible_communities(user), "communityId"),
            (input.organisation_id, "Organisation", Organisation.objects.all(), "organisationId"),
        )
        building, community, organisation = (None if g is None else object_from_id(g, t, q, a) for g, t, q, a in ids)
        district = None
        if input.district_id is not None:
            district = district_from_id(input.district_id, "districtId", visible_layers(user))
        return services.post_create(
            user=user,
            body=input.body,
            title=input.title,
            organisation=organisation,
            building=building,
            district=district,
            community=community,
            centre=input.near.point.to_point("near.point") if input.near else None,
            radius_m=input.near.radius_meters if input.near else None,
        )

    @strawberry.mutation(permission_classes=[IsAuthenticated], description="Reply to a post you can see.")
    def reply_to_post(self, info: strawberry.Info, post_id: relay.GlobalID, body: str) -> PostType:
        return services.post_reply(user=info.context.request.user, parent=_post(info, post_id), body=body)

    @strawberry.mutation(permission_classes=[IsAuthenticated], description="Edit a post you wrote.")
    def update_post(
        self, info: strawberry.Info, post_id: relay.GlobalID, body: str | None = None, title: str | None = None
    ) -> PostType:
        return services.post_update(user=info.context.request.user, post=_post(info, post_id), body=body, title=title)

    @strawberry.mutation(permission_classes=[IsAuthenticated], description="Delete a post you wrote (replies stay).")
    def delete_post(self, info: strawberry.Info, post_id: relay.GlobalID) -> PostType:
        return services.post_delete(user=info.context.request.user, post=_post(info, post_id))
