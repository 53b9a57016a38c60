"""Mutations of events: parse, call a service, return."""

import strawberry
from strawberry import relay

from accounts.permissions import IsAuthenticated, only_visible, visible_communities
from events import services
from events.graphql.inputs import EventInput
from events.graphql.types import EventType
from events.models import Event
from geoschema.ids import object_from_id
from offers.models import Project
from places.models import Building, Organisation, PointOfInterest


def _optional(global_id, type_name: str, queryset, argument: str):
    return None if global_id is None else object_from_id(global_id, type_name, queryset, argument)


def _event(info: strawberry.Info, global_id: relay.GlobalID) -> Event:
    return object_from_id(global_id, "Event", only_visible(Event.objects.all(), info.context.request), "eventId")


@strawberry.type
class Mutation:
    @strawberry.mutation(permission_classes=[IsAuthenticated], description="Organise an event.")
    def create_event(self, info: strawberry.Info, input: EventInput) -> EventType:
        request = info.context.request
        return services.event_create(
            user=request.user,
            organisation=_optional(input.organisation_id, "Organisation", Organisation.objects.all(), "organisationId"),
            community=_optional(input.community_id, "Community", visible_communities(request.user), "communityId"),
            point_of_interest=_optional(
                input.point_of_interest_id, "PointOfInterest", PointOfInterest.objects.all(), "pointOfInterestId"
            ),
            building=_optional(input.building_id, "Building", Building.objects.all(), "buildingId"),
            project=_optional(input.project_id, "Project", only_visible(Project.objects.all(), request), "projectId"),
            location=input.location.to_point("location") if input.location else None,
            location_precision=input.location_precision.value if input.location_precision else None,
            title=input.title,
            description=input.description,
            categories=input.categories,
            starts_at=input.starts_at,
            ends_at=input.ends_at,
            capacity=input.capacity,
        )

    @strawberry.mutation(permission_classes=[IsAuthenticated], description="Cancel an event you organise.")
    def cancel_event(self, info: strawberry.Info, event_id: relay.GlobalID) -> EventType:
        return services.event_cancel(user=info.context.request.user, event=_event(info, event_id))

    @strawberry.mutation(
        permission_classes=[IsAuthenticated], description="Take a seat at an event (CONFLICT when it is full)."
    )
    def register_for_event(self, info: strawberry.Info, event_id: relay.GlobalID) -> EventType:
        event = _event(info, event_id)
        services.event_register(user=info.context.request.user, event=event)
        return event

    @strawberry.mutation(permission_classes=[IsAuthenticated], description="Give your seat at an event back.")
    def cancel_registration(self, info: strawberry.Info, event_id: relay.GlobalID) -> EventType:
        event = _event(info, event_id)
        services.event_unregister(user=info.context.request.user, event=event)
        return event
