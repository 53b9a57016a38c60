"""Candidate search in PostGIS, then scoring: which offers can serve a need, and which needs an
offer can serve.

An offer can serve a need when their places are within reach (the distance is within both the
offer's service radius and the need's search radius), the kinds agree, their categories overlap
when both name some, their availability windows overlap, quantity remains, and a members-only offer
serves only needs of its own community (a community's need is served by its members' offers and
public ones). The search walks a (kind, place) GiST nearest first from the place asked about,
takes the `CANDIDATES` nearest within reach, keeps the compatible ones and scores them
(matching.scoring).

Matching places each side where the caller may see it (`Places`): which candidates are within
reach, their order, distances, reasons and scores are all computed from those places, so no series
of questions tells a caller more than the places they may see (README, "Location privacy").
"""

from dataclasses import dataclass, replace
from datetime import datetime
from decimal import Decimal
from types import SimpleNamespace
from typing import Literal

from django.contrib.gis.geos import Point
from django.db import connections
from django.db.models import DecimalField, F, OuterRef, Q, QuerySet, Subquery, Sum, Value, prefetch_related_objects
from django.db.models.functions import Coalesce, Least
from django.utils import timezone

from accounts.permissions import sees_every_exact_location, sees_exact_location
from matching.scoring import Score, score
from offers.models import Need, Offer, Pledge
from places.geo import DistanceTo, KnnTo, Latitude, Longitude, NearBox

CANDIDATES = 200  # the nearest reachable offers (or needs) of the kind that are scored
AMOUNT = DecimalField(max_digits=14, decimal_places=2)


@dataclass(frozen=True)
class Match:
    """An offer that can serve a need; `distance_m` and `score` between the places the caller may see."""

    offer: Offer
    need: Need
    distance_m: float
    score: Score


@dataclass(frozen=True)
class Places:
    """Where a candidate search places its two sides: the origin (the need or offer asked about) at
    `origin`, the candidates by their `column`, `location` (exact) or `public_location`."""

    origin: Point
    column: Literal["location", "public_location"]


def places_seen_by(request, origin: Offer | Need) -> Places:
    """The places of a search from `origin` as the caller of `request` may see them: the origin's
    exact place if they may see it, else its public one; the candidates' exact places if they may
    see every one (staff), else their public ones (an EXACT row's is its exact place).

    A caller's own coarse rows among the candidates are placed at their public point too: one
    index walk over one column serves every candidate, and nothing shown depends on a place the
    caller may not see."""
    origin_place = origin.location if sees_exact_location(request, origin) else origin.public_location
    return Places(origin_place, "location" if sees_every_exact_location(request) else "public_location")


def with_remaining(queryset: QuerySet, side: str) -> QuerySet:
    """Annotate `remaining`: quantity less accepted pledges (null when uncounted)."""
    committed = (
        Pledge.objects.filter(**{side: OuterRef("pk")}, status__in=Pledge.COMMITTED)
        .values(side)
        .annotate(total=Sum("quantity"))
        .values("total")
    )
    return queryset.annotate(
        remaining=F("quantity") - Coalesce(Subquery(committed), Value(Decimal(0)), output_field=AMOUNT)
    )


def open_with_remaining(queryset: QuerySet, open_status: str, side: str) -> QuerySet:
    """Open, with `remaining` above zero (or uncounted)."""
    return with_remaining(queryset.filter(status=open_status), side).filter(
        Q(quantity__isnull=True) | Q(remaining__gt=0)
    )


def compatible(thing: Offer | Need, other: Offer | Need) -> bool:
    """Two sides: not one owner's, nor one organisation's (the plain cases of what `pledge` refuses,
    offers.services.same_side, read from the row alone); quantity remains; categories overlap when
    both name some; availability windows overlap."""
    if thing.owner_id is not None and thing.owner_id == other.owner_id:
        return False
    if thing.organisation_id is not None and thing.organisation_id == other.organisation_id:
        return False
    if thing.quantity is not None and thing.remaining <= 0:
        return False
    if thing.categories and other.categories and not set(thing.categories) & set(other.categories):
        return False
    return (
        thing.available_from is None or other.available_until is None or thing.available_from <= other.available_until
    ) and (
        thing.available_until is None or other.available_from is None or thing.available_until >= other.available_from
    )


def same_space(model, origin: Offer | Need, seen: set[int] | None) -> Q:
    """Which rows of `model` may meet `origin` across communities: an offer of a community serves
    only its needs; a need of a community takes public offers and its own. `seen`: the communities
    whose rows the caller may see (None: all), so that matches never show what the caller cannot."""
    if origin.community_id is not None:
        if model is Offer:  # a community's need: its own offers and public ones
            return Q(community__isnull=True) | Q(community_id=origin.community_id)
        return Q(community_id=origin.community_id)  # a community's offer: its needs only
    if model is Offer:  # a public need: public offers only
        return Q(community__isnull=True)
    return Q() if seen is None else Q(community__isnull=True) | Q(community_id__in=seen)


def reachable(
    model, origin: Offer | Need, reach_field: str, *, places: Places, limit: int, seen: set[int] | None = None
) -> QuerySet:
    """Open rows of `model` of `origin`'s kind within reach of it (both radii), nearest first, as
    `places` places them.

    Only what a (kind, place) GiST can answer is asked of SQL, so that PostgreSQL walks that index
    nearest first and stops at `limit`; the finer rules (`compatible`) are checked on the few rows
    it returns. Asked in SQL, they made the planner underestimate the rows and read every same-kind
    row in the search box instead.
    """
    radius = origin.search_radius_m if isinstance(origin, Need) else origin.service_radius_m
    side = "offer" if model is Offer else "need"
    queryset = model.objects.filter(same_space(model, origin, seen), kind=origin.kind, status=model.Status.OPEN)
    queryset = with_remaining(queryset, side)
    return (
        queryset.defer("location", "public_location", "description")
        .annotate(
            distance_meters=DistanceTo(places.origin, field=places.column),
            # Coordinates as floats for the few shown: no geometry object built for each candidate.
            exact_x=Longitude("location"),
            exact_y=Latitude("location"),
            public_x=Longitude("public_location"),
            public_y=Latitude("public_location"),
        )
        .filter(
            NearBox(places.origin, radius, field=places.column),
            distance_meters__lte=Least(F(reach_field), Value(radius)),
        )
        .order_by(KnnTo(places.origin, field=places.column))[:limit]
    )


def offers_for_need(need: Need, *, request, limit: int = CANDIDATES) -> list[Offer]:
    """Open offers within reach of `need` that can serve it, nearest first, with `distance_meters`:
    the compatible ones among the `limit` nearest reachable offers of its kind, placed where the
    caller of `request` may see them."""
    places = places_seen_by(request, need)
    nearest = reachable(Offer, need, "service_radius_m", places=places, limit=limit).select_related("organisation")
    return [offer for offer in nearest if compatible(offer, need)]


def needs_for_offer(offer: Offer, *, request, limit: int = CANDIDATES, seen: set[int] | None = None) -> list[Need]:
    """Open needs within reach of `offer` that it can serve, nearest first, with `distance_meters`,
    placed where the caller of `request` may see them; of the needs of communities, only those in
    `seen` (None: all)."""
    places = places_seen_by(request, offer)
    nearest = reachable(Need, offer, "search_radius_m", places=places, limit=limit, seen=seen)
    nearest = nearest.select_related("organisation", "project")
    return [need for need in nearest if compatible(need, offer)]


class Candidate(SimpleNamespace):
    """A candidate row as plain values: what `compatible` and `match_score` read. A model instance
    costs ~40 µs to build, and a search returns up to CANDIDATES rows of which `first` are shown:
    only those become instances (`_instances`)."""

    @property
    def pk(self) -> int:
        return self.id


def _candidates(nearest: QuerySet) -> list[Candidate]:
    """The rows of `nearest`: its columns (those it does not defer) and annotations, in its order.

    The rows are read as the database driver gives them, without `values()` building a dict
    through Django's converters for each: none of these columns has one, and psycopg's types are
    those that `values()` would give (tests/matching/test_matches.py compares them with model
    instances)."""
    model = nearest.model
    listed, deferred = nearest.query.deferred_loading  # defer(...) or only(...)
    names = [f.attname for f in model._meta.concrete_fields if (f.name in listed) != deferred or f.primary_key]
    columns = (*names, *nearest.query.annotations)
    sql, params = nearest.values(*columns).query.sql_with_params()
    with connections[nearest.db].cursor() as cursor:
        cursor.execute(sql, params)
        return [Candidate(**dict(zip(columns, row, strict=True))) for row in cursor.fetchall()]


def _instances(model, candidates: list[Candidate], related: tuple[str, ...], db: str) -> list:
    """`candidates` as the model instances that `reachable(...).select_related(*related)` gives
    (the related objects in one query each, for these few)."""
    if not candidates:
        return []
    names = vars(candidates[0]).keys()  # every candidate has the same: one values() query's
    fields = [f.attname for f in model._meta.concrete_fields if f.attname in names]
    annotations = names - set(fields)
    instances = []
    for candidate in candidates:
        values = vars(candidate)
        instance = model.from_db(db, fields, [values[name] for name in fields])
        for name in annotations:
            setattr(instance, name, values[name])
        instances.append(instance)
    prefetch_related_objects(instances, *related)
    return instances


def match_score(offer: Offer, need: Need, distance_m: float, now: datetime) -> Score:
    return score(
        distance_m=distance_m,
        reach_m=min(offer.service_radius_m, need.search_radius_m),
        offered_categories=offer.categories,
        needed_categories=need.categories,
        offer_window=(offer.available_from, offer.available_until),
        need_window=(need.available_from, need.available_until),
        offer_remaining=getattr(offer, "remaining", offer.quantity),
        need_remaining=getattr(need, "remaining", need.quantity),
        offer_created_at=offer.created_at,
        now=now,
    )


def _best(matches: list[Match], first: int) -> list[Match]:
    return sorted(matches, key=lambda m: (-m.score.value, m.distance_m, m.offer.pk, m.need.pk))[:first]


def _best_of(
    nearest: QuerySet, origin: Offer | Need, first: int, now: datetime, related: tuple[str, ...]
) -> list[Match]:
    """The `first` best matches of `origin` among the candidates `nearest` finds for it, scored on
    their values; the shown ones become instances with their `related` objects."""
    side = "offer" if nearest.model is Offer else "need"
    found = []
    for candidate in _candidates(nearest):
        if compatible(candidate, origin):
            offer, need = (candidate, origin) if side == "offer" else (origin, candidate)
            distance = candidate.distance_meters
            found.append(Match(offer, need, distance, match_score(offer, need, distance, now)))
    best = _best(found, first)
    shown = _instances(nearest.model, [getattr(m, side) for m in best], related, nearest.db)
    return [replace(m, **{side: instance}) for m, instance in zip(best, shown, strict=True)]


def matches_for_need(need: Need, *, request, first: int = 10, now: datetime | None = None) -> list[Match]:
    """The offers that can serve `need`, best first, as the caller of `request` may see them."""
    places = places_seen_by(request, need)
    nearest = reachable(Offer, need, "service_radius_m", places=places, limit=CANDIDATES)
    return _best_of(nearest, need, first, now or timezone.now(), ("organisation",))


def matches_for_offer(
    offer: Offer, *, request, first: int = 10, now: datetime | None = None, seen: set[int] | None = None
) -> list[Match]:
    """The needs that `offer` can serve, best first, as the caller of `request` may see them (of
    communities' needs, those in `seen`)."""
    places = places_seen_by(request, offer)
    nearest = reachable(Need, offer, "search_radius_m", places=places, limit=CANDIDATES, seen=seen)
    return _best_of(nearest, offer, first, now or timezone.now(), ("organisation", "project"))
