"""Inputs of the offers mutations."""

from datetime import date, datetime
from decimal import Decimal

import strawberry
from strawberry import relay

from geoschema.located import LocationPrecision
from offers.graphql.types import HelpKind
from places.graphql.inputs import PointInput

PRECISION = (
    "How exactly others see the place: EXACT, BUILDING (~50 m), BLOCK (~200 m, the default for a person) "
    "or DISTRICT. An organisation's place is EXACT unless it says otherwise."
)


@strawberry.input(description="A new offer.")
class OfferInput:
    title: str
    kind: HelpKind
    location: PointInput
    location_precision: LocationPrecision | None = strawberry.field(default=None, description=PRECISION)
    description: str = ""
    categories: list[str] = strawberry.field(default_factory=list)
    quantity: Decimal | None = None
    unit: str = ""
    available_from: datetime | None = None
    available_until: datetime | None = None
    service_radius_meters: float = 2000.0
    recurring_days: list[int] = strawberry.field(default_factory=list, description="0 = Monday; empty: every day.")
    organisation_id: relay.GlobalID | None = strawberry.field(default=None, description="Offer in its name.")
    community_id: relay.GlobalID | None = strawberry.field(
        default=None, description="Post it in a community you belong to: only its members will see it."
    )


@strawberry.input(description="Changes to an offer: only the fields given change.")
class OfferPatch:
    title: str | None = strawberry.UNSET
    description: str | None = strawberry.UNSET
    categories: list[str] | None = strawberry.UNSET
    quantity: Decimal | None = strawberry.UNSET
    unit: str | None = strawberry.UNSET
    available_from: datetime | None = strawberry.UNSET
    available_until: datetime | None = strawberry.UNSET
    service_radius_meters: float | None = strawberry.UNSET
    location: PointInput | None = strawberry.UNSET


@strawberry.input(description="A new need, standing alone or part of a project.")
class NeedInput:
    title: str
    kind: HelpKind
    location: PointInput | None = strawberry.field(default=None, description="Defaults to the project's place.")
    location_precision: LocationPrecision | None = strawberry.field(default=None, description=PRECISION)
    project_id: relay.GlobalID | None = None
    description: str = ""
    categories: list[str] = strawberry.field(default_factory=list)
    quantity: Decimal | None = None
    unit: str = ""
    available_from: datetime | None = None
    available_until: datetime | None = None
    search_radius_meters: float = 2000.0
    deadline: datetime | None = None
    community_id: relay.GlobalID | None = strawberry.field(
        default=None,
        description="Post it in a community you belong to: only its members will see it. A project's need is in "
        "the project's community.",
    )


@strawberry.input(description="A new community project.")
class ProjectInput:
    title: str
    location: PointInput
    location_precision: LocationPrecision | None = strawberry.field(default=None, description=PRECISION)
    description: str = ""
    funding_goal: Decimal | None = None
    starts_on: date | None = None
    ends_on: date | None = None
    organisation_id: relay.GlobalID | None = None
    community_id: relay.GlobalID | None = strawberry.field(
        default=None, description="Post it in a community you belong to: only its members will see it."
    )


@strawberry.input(description="A partner's co-funding pool over a district or a whole boundary layer.")
class FundingPoolInput:
    name: str
    partner_id: relay.GlobalID
    ratio: Decimal
    cap_per_project: Decimal
    total: Decimal
    district_id: relay.GlobalID | None = None
    layer: str | None = strawberry.field(default=None, description="Slug of a boundary layer.")
