"""GraphQL types of events."""

from datetime import datetime
from enum import Enum
from typing import Annotated

import strawberry
import strawberry_django
from django.db.models import Count
from strawberry import relay

from events import models
from geoschema.located import Located
from offers.graphql.types import IN_COMMUNITY, MembersOnly, ProjectType
from places.graphql.types import BuildingType, OrganisationType, PointOfInterestType

EventStatus = strawberry.enum(Enum("EventStatus", {c.value: c.value for c in models.Event.Status}))
CommunityRef = Annotated["CommunityType", strawberry.lazy("accounts.graphql.schema")]  # noqa: F821


def _my_events(request) -> set[int]:
    """The events the caller registered for, once per request."""
    if not hasattr(request, "_my_events"):
        user = request.user
        mine = (
            models.Registration.objects.filter(user=user)
            if user.is_authenticated
            else models.Registration.objects.none()
        )
        request._my_events = set(mine.values_list("event_id", flat=True))
    return request._my_events


def _registered(event: models.Event) -> int:
    """Seats taken: counted by SQL for a list, once more for an event a mutation returns."""
    return event.registered if hasattr(event, "registered") else event.registrations.count()


@strawberry_django.type(models.Event, name="Event", description="A meeting, a workshop, a repair café.")
class EventType(relay.Node, Located, MembersOnly):
    id: relay.NodeID[int]
    title: str
    description: str
    categories: list[str]
    starts_at: datetime
    ends_at: datetime
    capacity: int | None = strawberry_django.field(description="Seats; null: no limit.")
    status: EventStatus
    created_at: datetime
    organisation: OrganisationType | None
    point_of_interest: PointOfInterestType | None
    building: BuildingType | None
    project: ProjectType | None
    community: CommunityRef | None = strawberry_django.field(description=IN_COMMUNITY)

    @strawberry_django.field(annotate={"registered": Count("registrations")}, description="Seats taken.")
    def registered_count(self, root: strawberry.Parent) -> int:
        return _registered(root)

    @strawberry_django.field(
        annotate={"registered": Count("registrations")}, only=["capacity"], description="Seats left; null: no limit."
    )
    def seats_left(self, root: strawberry.Parent) -> int | None:
        return None if root.capacity is None else max(0, root.capacity - _registered(root))

    @strawberry.field(description="Whether the caller registered.")
    def is_registered(self, root: strawberry.Parent, info: strawberry.Info) -> bool:
        return root.pk in _my_events(info.context.request)
