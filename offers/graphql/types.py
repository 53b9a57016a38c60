"""GraphQL types of offers, needs and projects."""

from datetime import date, datetime
from decimal import Decimal
from enum import Enum

import strawberry
import strawberry_django
from strawberry import relay

from geoschema.located import Located
from offers import models
from places.graphql.types import OrganisationType

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


@strawberry_django.type(models.Offer, name="Offer")
class OfferType(relay.Node, Located, Exchange):
    id: relay.NodeID[int]
    status: OfferStatus
    service_radius_meters: float = strawberry_django.field(field_name="service_radius_m")


@strawberry_django.type(models.Project, name="Project")
class ProjectType(relay.Node, Located):
    id: relay.NodeID[int]
    title: str
    description: str
    status: ProjectStatus
    funding_goal: Decimal | None
    starts_on: date | None
    ends_on: date | None
    created_at: datetime
    organisation: OrganisationType | None
    needs: list["NeedType"]


@strawberry_django.type(models.Need, name="Need")
class NeedType(relay.Node, Located, Exchange):
    id: relay.NodeID[int]
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
