"""register, login, logout, `me`, and communities with their members."""

from enum import Enum
from typing import Annotated

import strawberry
import strawberry_django
from strawberry import relay

from accounts import models, permissions, services
from accounts.middleware import bearer_token
from accounts.permissions import IsAuthenticated
from geoschema.ids import object_from_id
from places.models import Building, Organisation

Role = strawberry.enum(permissions.Role, description="What a person is on the platform.")
CommunityKind = strawberry.enum(Enum("CommunityKind", {c.value: c.value for c in models.Community.Kind}))
MemberRole = strawberry.enum(Enum("MemberRole", {c.value: c.value for c in models.Membership.Role}))
OrganisationRef = Annotated["OrganisationType", strawberry.lazy("places.graphql.types")]  # noqa: F821
BuildingRef = Annotated["BuildingType", strawberry.lazy("places.graphql.types")]  # noqa: F821


@strawberry_django.type(models.Membership, name="CommunityMember", description="A person in a community.")
class MembershipType:
    role: MemberRole

    @strawberry_django.field(only=["user__first_name"], select_related=["user"])
    def display_name(self, root: strawberry.Parent) -> str:
        return root.user.first_name


@strawberry_django.type(
    models.Community,
    name="Community",
    description="A members-only space (a cooperative's members, a building's residents): what is posted in it "
    "only its members see.",
)
class CommunityType(relay.Node):
    id: relay.NodeID[int]
    name: str
    kind: CommunityKind
    description: str
    organisation: OrganisationRef | None
    building: BuildingRef | None
    members: list[MembershipType] = strawberry_django.field(field_name="memberships")

    @classmethod
    def get_queryset(cls, queryset, info: strawberry.Info, **kwargs):
        return queryset.filter(pk__in=permissions.visible_communities(info.context.request.user).values("pk"))


@strawberry.type(name="User", description="The account of the caller.")
class UserType:
    email: str
    display_name: str
    roles: list[Role] = strawberry.field(description="RESIDENT for everyone; more by organisation and staff.")

    @strawberry_django.field(description="The communities the caller belongs to.")
    def communities(self, info: strawberry.Info) -> list[CommunityType]:
        return permissions.visible_communities(info.context.request.user)


@strawberry.type(description="A bearer token to send as `Authorization: Bearer <token>`.")
class AuthPayload:
    token: str
    user: UserType


@strawberry.input(description="A new community.")
class CommunityInput:
    name: str
    kind: CommunityKind = CommunityKind.OTHER
    description: str = ""
    organisation_id: relay.GlobalID | None = strawberry.field(default=None, description="A cooperative's, say.")
    building_id: relay.GlobalID | None = strawberry.field(
        default=None,
        description="The building whose residents' space this is: its lobby screen (`digest`) shows the "
        "community's items. Staff only.",
    )


def _user(user) -> UserType:
    return UserType(email=user.email, display_name=user.first_name, roles=permissions.roles(user))


def _community(info: strawberry.Info, global_id: relay.GlobalID) -> models.Community:
    # A community one is not part of is reported as unknown: its existence is the members' business.
    visible = permissions.visible_communities(info.context.request.user)
    return object_from_id(global_id, "Community", visible, "communityId")


@strawberry.type
class Query:
    @strawberry.field(description="The caller's account, or null when anonymous.")
    def me(self, info: strawberry.Info) -> UserType | None:
        user = info.context.request.user
        return _user(user) if user.is_authenticated else None

    @strawberry_django.field(description="The communities the caller belongs to (all of them for staff).")
    def communities(self, info: strawberry.Info) -> list[CommunityType]:
        return permissions.visible_communities(info.context.request.user)


@strawberry.type
class Mutation:
    @strawberry.mutation(description="Create a resident account; returns its first token.")
    def register(self, email: str, password: str, display_name: str = "") -> AuthPayload:
        user, token = services.user_register(email=email, password=password, display_name=display_name)
        return AuthPayload(token=token, user=_user(user))

    @strawberry.mutation(description="A new bearer token for an account (attempts are rate-limited).")
    def login(self, email: str, password: str) -> AuthPayload:
        user, token = services.user_login(email=email, password=password)
        return AuthPayload(token=token, user=_user(user))

    @strawberry.mutation(permission_classes=[IsAuthenticated], description="Revoke the token of this request.")
    def logout(self, info: strawberry.Info) -> bool:
        return services.token_revoke(raw=bearer_token(info.context.request) or "")

    @strawberry.mutation(
        permission_classes=[IsAuthenticated], description="Create a members-only space; you become its manager."
    )
    def create_community(self, info: strawberry.Info, input: CommunityInput) -> CommunityType:
        organisation = building = None
        if input.organisation_id is not None:
            organisation = object_from_id(
                input.organisation_id, "Organisation", Organisation.objects.all(), "organisationId"
            )
        if input.building_id is not None:
            building = object_from_id(input.building_id, "Building", Building.objects.all(), "buildingId")
        return services.community_create(
            user=info.context.request.user,
            name=input.name,
            kind=input.kind.value,
            description=input.description,
            organisation=organisation,
            building=building,
        )

    @strawberry.mutation(
        permission_classes=[IsAuthenticated],
        description="Add a person (by their account's email) to a community you manage, or change their role.",
    )
    def add_community_member(
        self, info: strawberry.Info, community_id: relay.GlobalID, email: str, role: MemberRole = MemberRole.MEMBER
    ) -> CommunityType:
        community = _community(info, community_id)
        services.community_add_member(user=info.context.request.user, community=community, email=email, role=role.value)
        return community

    @strawberry.mutation(
        permission_classes=[IsAuthenticated],
        description="Remove a member from a community you manage, or leave one (your own email).",
    )
    def remove_community_member(self, info: strawberry.Info, community_id: relay.GlobalID, email: str) -> bool:
        community = _community(info, community_id)
        return services.community_remove_member(user=info.context.request.user, community=community, email=email)
