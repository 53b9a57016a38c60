"""Mutations of offers, needs, projects and pledges: parse, call a service, return."""

import dataclasses
from decimal import Decimal
from enum import Enum

import strawberry
from strawberry import relay

from accounts.models import Community
from accounts.permissions import IsAuthenticated, only_visible, pledges_seen_by, visible_communities, visible_layers
from geoschema.errors import bad_input
from geoschema.ids import object_from_id
from offers import services
from offers.graphql.inputs import FundingPoolInput, NeedInput, OfferInput, OfferPatch, ProjectInput
from offers.graphql.types import FundingPoolType, NeedType, OfferType, PledgeType, ProjectType
from offers.models import Need, Offer, Pledge, Project
from places.graphql.inputs import district_from_id
from places.graphql.schema import layer_or_error
from places.models import Organisation

RENAMED = {"service_radius_meters": "service_radius_m", "search_radius_meters": "search_radius_m"}


def _fields(data, *, skip: tuple[str, ...] = ()) -> dict:
    """An input's given values as model fields: enums to values, points checked, names mapped."""
    fields = {}
    for f in dataclasses.fields(data):
        value = getattr(data, f.name)
        if f.name in skip or value is strawberry.UNSET:
            continue
        if hasattr(value, "to_point"):
            value = value.to_point(f.name)
        elif isinstance(value, Enum):
            value = value.value
        fields[RENAMED.get(f.name, f.name)] = value
    return fields


def _organisation(global_id: relay.GlobalID | None) -> Organisation | None:
    if global_id is None:
        return None
    return object_from_id(global_id, "Organisation", Organisation.objects.all(), "organisationId")


def _community(info: strawberry.Info, global_id: relay.GlobalID | None) -> Community | None:
    if global_id is None:
        return None
    return object_from_id(global_id, "Community", visible_communities(_user(info)), "communityId")


def _user(info: strawberry.Info):
    return info.context.request.user


@strawberry.type
class Mutation:
    @strawberry.mutation(permission_classes=[IsAuthenticated], description="Offer help around a place.")
    def create_offer(self, info: strawberry.Info, input: OfferInput) -> OfferType:
        return services.offer_create(
            user=_user(info),
            organisation=_organisation(input.organisation_id),
            community=_community(info, input.community_id),
            **_fields(input, skip=("organisation_id", "community_id")),
        )

    @strawberry.mutation(permission_classes=[IsAuthenticated], description="Change an offer you made.")
    def update_offer(self, info: strawberry.Info, id: relay.GlobalID, input: OfferPatch) -> OfferType:
        offer = object_from_id(id, "Offer", only_visible(Offer.objects.all(), info.context.request), "id")
        changes = _fields(input)
        if not changes:
            raise bad_input("give at least one field to change")
        return services.offer_update(user=_user(info), offer=offer, **changes)

    @strawberry.mutation(permission_classes=[IsAuthenticated], description="Close an offer you made.")
    def close_offer(self, info: strawberry.Info, id: relay.GlobalID) -> OfferType:
        offer = object_from_id(id, "Offer", only_visible(Offer.objects.all(), info.context.request), "id")
        return services.offer_close(user=_user(info), offer=offer)

    @strawberry.mutation(permission_classes=[IsAuthenticated], description="Ask for help.")
    def create_need(self, info: strawberry.Info, input: NeedInput) -> NeedType:
        project = None
        if input.project_id is not None:
            projects = only_visible(Project.objects.all(), info.context.request)
            project = object_from_id(input.project_id, "Project", projects, "projectId")
        elif input.location is None:
            raise bad_input("a need needs a location, or a projectId to take the project's")
        fields = _fields(input, skip=("project_id", "community_id"))
        if fields.get("location") is None:
            fields.pop("location", None)
        community = _community(info, input.community_id)
        return services.need_create(user=_user(info), project=project, community=community, **fields)

    @strawberry.mutation(permission_classes=[IsAuthenticated], description="Start a community project.")
    def create_project(self, info: strawberry.Info, input: ProjectInput) -> ProjectType:
        return services.project_create(
            user=_user(info),
            organisation=_organisation(input.organisation_id),
            community=_community(info, input.community_id),
            **_fields(input, skip=("organisation_id", "community_id")),
        )

    @strawberry.mutation(
        permission_classes=[IsAuthenticated],
        description="Propose part of your offer for a need of another side (never one's own: the same person, or "
        "someone who acts for both, is FORBIDDEN).",
    )
    def pledge(
        self, info: strawberry.Info, offer_id: relay.GlobalID, need_id: relay.GlobalID, quantity: Decimal
    ) -> PledgeType:
        request = info.context.request
        offer = object_from_id(offer_id, "Offer", only_visible(Offer.objects.all(), request), "offerId")
        need = object_from_id(need_id, "Need", only_visible(Need.objects.all(), request), "needId")
        return services.pledge_create(user=_user(info), offer=offer, need=need, quantity=quantity)

    @strawberry.mutation(
        permission_classes=[IsAuthenticated],
        description="Accept or decline a pledge to your need. Accepting needs the offer open (not closed or paused) "
        "and the need not closed (CONFLICT otherwise); declining is always possible.",
    )
    def respond_to_pledge(self, info: strawberry.Info, pledge_id: relay.GlobalID, accept: bool) -> PledgeType:
        pledge = object_from_id(pledge_id, "Pledge", pledges_seen_by(Pledge.objects.all(), _user(info)), "pledgeId")
        return services.pledge_respond(user=_user(info), pledge=pledge, accept=accept)

    @strawberry.mutation(
        permission_classes=[IsAuthenticated],
        description="Say an accepted pledge was received, even if the offer or the need has closed since.",
    )
    def fulfil_pledge(self, info: strawberry.Info, pledge_id: relay.GlobalID) -> PledgeType:
        pledge = object_from_id(pledge_id, "Pledge", pledges_seen_by(Pledge.objects.all(), _user(info)), "pledgeId")
        return services.pledge_fulfil(user=_user(info), pledge=pledge)

    @strawberry.mutation(permission_classes=[IsAuthenticated], description="Withdraw a proposed or accepted pledge.")
    def cancel_pledge(self, info: strawberry.Info, pledge_id: relay.GlobalID) -> PledgeType:
        pledge = object_from_id(pledge_id, "Pledge", pledges_seen_by(Pledge.objects.all(), _user(info)), "pledgeId")
        return services.pledge_cancel(user=_user(info), pledge=pledge)

    @strawberry.mutation(permission_classes=[IsAuthenticated], description="A partner's co-funding pool.")
    def create_funding_pool(self, info: strawberry.Info, input: FundingPoolInput) -> FundingPoolType:
        partner = object_from_id(input.partner_id, "Organisation", Organisation.objects.all(), "partnerId")
        district = layer = None
        if input.district_id is not None:
            district = district_from_id(input.district_id, "districtId", visible_layers(_user(info)))
        if input.layer is not None:
            layer = layer_or_error(info, input.layer)
        if (district is None) == (layer is None):
            raise bad_input("give either districtId or layer: the area the pool tops up")
        return services.pool_create(
            user=_user(info),
            partner=partner,
            district=district,
            layer=layer,
            name=input.name,
            ratio=input.ratio,
            cap_per_project=input.cap_per_project,
            total=input.total,
        )
