"""What is addressed to a place: its feed (posts, new offers, needs and projects nearby, upcoming
events) and a building's lobby digest. Each source is one SQL query, whatever the data size.

A place is a building, a point or a district. What reaches it:
- posts addressed to that building (building feeds only: a post to one building never reaches the
  next street), to a district that holds the place, to a radius around a centre that covers the
  place, and, in a building's feed, to the communities of that building (members only);
- offers, needs and projects (open ones) and events (not over yet) within `NEARBY_M` of a building
  or a point, or inside the district asked about.
Members-only items reach members only (accounts.permissions.only_visible); places are public ones.
A post to a district is seen by those who see the district's layer (accounts.permissions.visible_posts)
and by no one else: a members-only layer's districts, names and shapes stay with its partner's members.
"""

from dataclasses import dataclass
from datetime import datetime

from django.db.models import F, Q, QuerySet
from django.utils import timezone

from accounts.models import Community
from events.models import Event
from feed.models import Post
from offers.models import Need, Offer, Project
from places.geo import DistanceTo, NearBox
from places.models import BoundaryLayer, Building, District, DistrictPart, Organisation

NEARBY_M = 500  # a few minutes' walk: what is "around" a building or a point
KINDS = ("Post", "Event", "Project", "Need", "Offer")  # the order of items created at the same instant


@dataclass(frozen=True)
class Place:
    """Where a feed is asked for: a point (always), the building or the district it came from."""

    point: object  # a GEOS Point
    building: Building | None = None
    district: District | None = None


def district_ids_at(point, layers: QuerySet[BoundaryLayer]) -> list[int]:
    """The districts of `layers` that hold `point`."""
    parts = DistrictPart.objects.filter(geometry__intersects=point, district__layer__in=layers.values("pk"))
    return list(parts.values_list("district_id", flat=True).distinct())


def posts_for(place: Place, layers: QuerySet[BoundaryLayer]) -> QuerySet[Post]:
    """Posts (and replies) addressed to `place`, of those to a district only the districts of `layers`
    (the layers of the caller: `place.district` is one of theirs)."""
    if place.district is not None and place.building is None:
        audience = Q(district=place.district)
    else:
        audience = Q(district_id__in=district_ids_at(place.point, layers))
        audience |= Q(centre__isnull=False, centre__dwithin=(place.point, F("radius_m")))
        if place.building is not None:
            audience |= Q(building=place.building)
            audience |= Q(community__in=Community.objects.filter(building=place.building).values("pk"))
    return Post.objects.filter(audience).select_related("owner")


def nearby(queryset: QuerySet, place: Place) -> QuerySet:
    """Rows of a located model around `place` (public places), or inside its district."""
    if place.district is not None and place.building is None:
        return queryset.filter(districts=place.district)
    return queryset.filter(
        NearBox(place.point, NEARBY_M, field="public_location"), public_location__dwithin=(place.point, NEARBY_M)
    )


def feed_sources(place: Place, layers: QuerySet[BoundaryLayer]) -> dict[str, QuerySet]:
    """Every kind of feed item addressed to `place` (posts to districts of `layers` only), before
    the other permissions and paging."""
    return {
        "Post": posts_for(place, layers),
        "Event": nearby(Event.objects.filter(status=Event.Status.SCHEDULED, ends_at__gt=timezone.now()), place),
        "Project": nearby(Project.objects.exclude(status=Project.Status.DRAFT), place),
        "Need": nearby(Need.objects.filter(status=Need.Status.OPEN), place),
        "Offer": nearby(Offer.objects.filter(status=Offer.Status.OPEN), place),
    }


def after_cursor(queryset: QuerySet, kind: str, cursor: tuple[datetime, int, int] | None) -> QuerySet:
    """The rows that come after `cursor` (created_at, kind rank, id) in newest-first order."""
    if cursor is None:
        return queryset
    at, rank, pk = cursor
    mine = KINDS.index(kind)
    if mine < rank:
        return queryset.filter(created_at__lte=at)
    if mine > rank:
        return queryset.filter(created_at__lt=at)
    return queryset.filter(Q(created_at__lt=at) | Q(created_at=at, id__lt=pk))


def newest(sources: dict[str, QuerySet], first: int, cursor: tuple[datetime, int, int] | None) -> list:
    """The `first + 1` newest items of all sources after `cursor`, merged: one query per source."""
    rows = []
    for kind, queryset in sources.items():
        page = after_cursor(queryset, kind, cursor).order_by("-created_at", "-id")[: first + 1]
        rows += [(row.created_at, KINDS.index(kind), row.pk, row) for row in page]
    rows.sort(key=lambda r: (r[0], r[1], r[2]), reverse=True)
    return rows[: first + 1]


def digest_sources(building: Building) -> dict[str, QuerySet]:
    """What a screen in `building`'s hall shows, each ordered and ready to slice: upcoming events
    within walking distance (soonest first), open needs in and around the building, projects of
    its districts, organisations nearby (nearest first), the latest posts to it or its districts. A
    screen is seen by anyone passing by: only posts to districts of public layers reach it."""
    point = building.location
    walking = 1000
    districts = list(building.districts.values_list("pk", "layer__visibility"))
    district_ids = [pk for pk, _ in districts]
    public_ids = [pk for pk, visibility in districts if visibility == BoundaryLayer.Visibility.PUBLIC]
    return {
        "events": Event.objects.filter(
            NearBox(point, walking, field="public_location"),
            public_location__dwithin=(point, walking),
            status=Event.Status.SCHEDULED,
            ends_at__gt=timezone.now(),
        ).order_by("starts_at", "id"),
        "needs": Need.objects.filter(
            NearBox(point, 300, field="public_location"), public_location__dwithin=(point, 300), status=Need.Status.OPEN
        ).order_by("-created_at", "-id"),
        "projects": Project.objects.filter(districts__in=district_ids, status__in=["OPEN", "FUNDED"])
        .distinct()
        .order_by("-created_at", "-id"),
        "organisations": organisations_near(point, NEARBY_M),
        "posts": Post.objects.filter(
            Q(building=building) | Q(district_id__in=public_ids), parent__isnull=True, deleted_at__isnull=True
        )
        .select_related("owner")
        .order_by("-created_at", "-id"),
    }


def organisations_near(point, radius_m: float) -> QuerySet[Organisation]:
    """Organisations within `radius_m` of `point`, nearest first, with `distance_meters`."""
    return (
        Organisation.objects.filter(NearBox(point, radius_m, field="public_location"))
        .annotate(distance_meters=DistanceTo(point, field="public_location"))
        .filter(distance_meters__lte=radius_m)
        .order_by("distance_meters", "id")
    )
