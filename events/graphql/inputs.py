"""Inputs of the events mutations."""

from datetime import datetime

import strawberry
from strawberry import relay

from geoschema.located import LocationPrecision
from places.graphql.inputs import PointInput


@strawberry.input(description="A new event: at a point of interest, a building, or a free location.")
class EventInput:
    title: str
    starts_at: datetime
    ends_at: datetime
    location: PointInput | None = None
    point_of_interest_id: relay.GlobalID | None = None
    building_id: relay.GlobalID | None = None
    location_precision: LocationPrecision | None = None
    description: str = ""
    categories: list[str] = strawberry.field(default_factory=list)
    capacity: int | None = strawberry.field(default=None, description="Seats; leave out for no limit.")
    organisation_id: relay.GlobalID | None = strawberry.field(default=None, description="Organise it in its name.")
    project_id: relay.GlobalID | None = None
    community_id: relay.GlobalID | None = strawberry.field(
        default=None, description="Only this community's members will see it (you must be one)."
    )
