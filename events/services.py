"""Writes on events: creating one, registering and cancelling, each in one transaction."""

from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone

from accounts.models import Community
from accounts.permissions import acts_for, can_change, can_post_in
from events.models import Event, Registration
from geoschema.errors import ApiError, Code, bad_input
from places.models import Building, LocationPrecision, Organisation, PointOfInterest
from places.services import located_assign_districts


@transaction.atomic
def event_create(
    *,
    user,
    organisation: Organisation | None = None,
    community: Community | None = None,
    point_of_interest: PointOfInterest | None = None,
    building: Building | None = None,
    **fields: Any,
) -> Event:
    """A new event by `user` (or an organisation they act for), at a point of interest, a building
    or a free `location`; for everyone or for a community `user` belongs to."""
    if not acts_for(user, organisation):
        raise PermissionDenied(f"you are not a member of {organisation.name}")
    if not can_post_in(user, community):
        raise PermissionDenied(f"only members of {community.name} post in it")
    place = point_of_interest or building
    if place is not None:
        if fields.get("location") is not None:
            raise bad_input("give a location, or a pointOfInterestId or a buildingId, not both")
        fields["location"] = place.location
    if fields.get("location") is None:
        raise bad_input("an event needs a place: location, pointOfInterestId or buildingId")
    # An event's place is where people go: exact, unless the organiser says otherwise.
    fields["location_precision"] = fields.get("location_precision") or LocationPrecision.EXACT
    event = Event(
        owner=user,
        organisation=organisation,
        community=community,
        point_of_interest=point_of_interest,
        building=building,
        **fields,
    )
    event.full_clean()
    event.save()
    located_assign_districts(event)
    return event


@transaction.atomic
def event_cancel(*, user, event: Event) -> Event:
    """The organiser's side cancels an event; registrations stay, for the record."""
    event = Event.objects.select_for_update().get(pk=event.pk)
    if not can_change(user, event):
        raise PermissionDenied("only the event's organiser may cancel it")
    event.status = Event.Status.CANCELLED
    event.save(update_fields=["status"])
    return event


@transaction.atomic
def event_register(*, user, event: Event) -> Registration:
    """A seat for `user`. The event's row is locked while seats are counted, so of two people
    taking the last seat at once, one gets it and the other gets CONFLICT."""
    event = Event.objects.select_for_update().get(pk=event.pk)
    if event.status != Event.Status.SCHEDULED:
        raise ApiError(Code.CONFLICT, "this event is cancelled")
    if event.ends_at <= timezone.now():
        raise ApiError(Code.CONFLICT, "this event is over")
    if Registration.objects.filter(event=event, user=user).exists():
        raise ApiError(Code.CONFLICT, "you are already registered")
    if event.capacity is not None and event.registrations.count() >= event.capacity:
        raise ApiError(Code.CONFLICT, "the event is full")
    return Registration.objects.create(event=event, user=user)


@transaction.atomic
def event_unregister(*, user, event: Event) -> bool:
    """Give one's seat back."""
    Event.objects.select_for_update().get(pk=event.pk)
    deleted, _ = Registration.objects.filter(event=event, user=user).delete()
    if not deleted:
        raise ApiError(Code.CONFLICT, "you are not registered for this event")
    return True
