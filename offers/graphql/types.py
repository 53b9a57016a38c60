"""GraphQL types of offers, needs and projects."""

from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from typing import Annotated

import strawberry
import strawberry_django
from strawberry import relay

from accounts.permissions import only_visible, pledges_seen_by
from geoschema.located import Located
from offers import models
from offers.selectors import project_funding
from places.graphql.types import OrganisationType

CommunityRef = Annotated["CommunityType", strawberry.lazy("accounts.graphql.schema")]  # noqa: F821
IN_COMMUNITY = "The community it is posted in (only its members see it); null: posted for everyone."
HelpKind = strawberry.enum(models.HelpKind, description="The kinds of help that cross Quartier.")
OfferStatus = strawberry.enum(Enum("OfferStatus", {c.value: c.value for c in models.Offer.Status}))
NeedStatus = strawberry.enum(Enum("NeedStatus", {c.value: c.value for c in models.Need.Status}))
PledgeStatus = strawberry.enum(Enum("PledgeStatus", {c.value: c.value for c in models.Pledge.Status}))
ProjectStatus = strawberry.enum(Enum("ProjectStatus", {c.value: c.value for c in models.Project.Status}))


@strawberry.input(description="A time window; either end may be open.")
class TimeRangeInput:
    start: datetime | None = None
    end: datetime | None = None


@strawberry.interface(description="What offers and needs share.")
class Exchange:
    title: str
    description: str
    kind: HelpKind
    categories: list[str]
    quantity: Decimal | None
    unit: str
    available_from: datetime | None
    available_until: datetime | None
    created_at: datetime
    organisation: OrganisationType | None


class MembersOnly:
    """Offers, needs and projects of a community are seen by its members only: in lists, `node(id:)`
    and nested fields alike (accounts.permissions.only_visible)."""

    @classmethod
    def get_queryset(cls, queryset, info: strawberry.Info, **kwargs):
        return only_visible(queryset, info.context.request)


@strawberry_django.type(models.Offer, name="Offer")
class OfferType(relay.Node, Located, Exchange, MembersOnly):
    id: relay.NodeID[int]
    community: CommunityRef | None = strawberry_django.field(description=IN_COMMUNITY)
    status: OfferStatus
    service_radius_meters: float = strawberry_django.field(field_name="service_radius_m")
    recurring_days: list[int] = strawberry_django.field(
        description="The days of the week it is offered on (0 = Monday), as the offer gives them; empty: every day. "
        "Shown as given: the availability filter and matching read the window (availableFrom, availableUntil) only."
    )


@strawberry.type(name="ProjectFunding", description="Where a project's money stands.")
class ProjectFundingType:
    goal: Decimal | None
    pledged: Decimal = strawberry.field(description="Accepted or fulfilled money pledges.")
    received: Decimal = strawberry.field(description="Fulfilled money pledges.")
    topped_up: Decimal = strawberry.field(description="What co-funding pools added.")
    raised: Decimal = strawberry.field(description="pledged + toppedUp")
    backers: int = strawberry.field(description="Distinct people or organisations with a money pledge.")
    progress: float | None = strawberry.field(description="raised / goal, when there is a goal.")


@strawberry_django.type(models.Project, name="Project")
class ProjectType(relay.Node, Located, MembersOnly):
    id: relay.NodeID[int]
    community: CommunityRef | None = strawberry_django.field(description=IN_COMMUNITY)
    title: str
    description: str
    status: ProjectStatus
    funding_goal: Decimal | None
    starts_on: date | None
    ends_on: date | None
    created_at: datetime
    organisation: OrganisationType | None
    needs: list["NeedType"]

    @strawberry.field(description="Money pledged, received and topped up (one query per project: ask it of a few).")
    def funding(self, root: strawberry.Parent) -> ProjectFundingType:
        funding = project_funding(root)
        progress = float(funding.raised / funding.goal) if funding.goal else None
        return ProjectFundingType(
            goal=funding.goal,
            pledged=funding.pledged,
            received=funding.received,
            topped_up=funding.topped_up,
            raised=funding.raised,
            backers=funding.backers,
            progress=progress,
        )


@strawberry_django.type(models.Need, name="Need")
class NeedType(relay.Node, Located, Exchange, MembersOnly):
    id: relay.NodeID[int]
    community: CommunityRef | None = strawberry_django.field(description=IN_COMMUNITY)
    status: NeedStatus
    search_radius_meters: float = strawberry_django.field(field_name="search_radius_m")
    deadline: datetime | None
    project: ProjectType | None


@strawberry_django.type(models.Pledge, name="Pledge")
class PledgeType(relay.Node):
    id: relay.NodeID[int]
    offer: OfferType
    need: NeedType
    quantity: Decimal
    status: PledgeStatus
    created_at: datetime
    responded_at: datetime | None

    @classmethod
    def get_queryset(cls, queryset, info: strawberry.Info, **kwargs):
        return pledges_seen_by(queryset, info.context.request.user)


@strawberry_django.type(models.FundingPool, name="FundingPool")
class FundingPoolType(relay.Node):
    id: relay.NodeID[int]
    name: str
    partner: OrganisationType
    ratio: Decimal
    cap_per_project: Decimal
    total: Decimal
    active: bool


@strawberry.type(name="KindCount")
class KindCountType:
    kind: HelpKind
    count: int | None = strawberry.field(description="Null when withheld (a small count that could single people out).")


@strawberry.type(name="AreaStat", description="Activity in one district over a period. Null: withheld as too small.")
class AreaStatType:
    district: Annotated["DistrictType", strawberry.lazy("places.graphql.types")]  # noqa: F821
    offers: int | None
    needs: int | None
    projects: int | None
    pledges: int | None = strawberry.field(description="Accepted or fulfilled pledges to needs of the district.")
    people: int | None = strawberry.field(description="People who posted offers, needs or projects.")
    organisations: int | None
    offers_by_kind: list[KindCountType]
    needs_by_kind: list[KindCountType]
    pledged_quantity: Decimal | None
    money_pledged: Decimal | None
    money_received: Decimal | None
