"""Candidate search in PostGIS, then scoring: which offers can serve a need, and which needs an
offer can serve.

An offer can serve a need when their places are within reach (the distance is within both the
offer's service radius and the need's search radius), the kinds agree, their categories overlap
when both name some, their availability windows overlap, and quantity remains. The search walks
the GiST index from the exact place asked about (matching works on exact places; what it shows of
them follows each side's precision) (box test, then exact spheroid distance), bounded to the
`CANDIDATES` nearest, and the candidates are then scored (matching.scoring).
"""

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from django.db.models import DecimalField, F, OuterRef, Q, QuerySet, Subquery, Sum, Value
from django.db.models.functions import Coalesce, Least
from django.utils import timezone

from matching.scoring import Score, score
from offers.models import Need, Offer, Pledge
from places.geo import DistanceTo, KnnTo, NearBox

CANDIDATES = 1000
AMOUNT = DecimalField(max_digits=14, decimal_places=2)


@dataclass(frozen=True)
class Match:
    offer: Offer
    need: Need
    distance_m: float
    score: Score


def open_with_remaining(queryset: QuerySet, open_status: str, side: str) -> QuerySet:
    """Open, with `remaining` (quantity less accepted pledges; null when uncounted) above zero."""
    committed = (
        Pledge.objects.filter(**{side: OuterRef("pk")}, status__in=Pledge.COMMITTED)
        .values(side)
        .annotate(total=Sum("quantity"))
        .values("total")
    )
    return (
        queryset.filter(status=open_status)
        .annotate(remaining=F("quantity") - Coalesce(Subquery(committed), Value(Decimal(0)), output_field=AMOUNT))
        .filter(Q(quantity__isnull=True) | Q(remaining__gt=0))
    )


def _compatible(queryset: QuerySet, other: Offer | Need) -> QuerySet:
    """Same kind; categories overlap when both name some; windows overlap."""
    queryset = queryset.filter(kind=other.kind)
    if other.categories:
        queryset = queryset.filter(Q(categories=[]) | Q(categories__overlap=other.categories))
    if other.available_until is not None:
        queryset = queryset.filter(Q(available_from__isnull=True) | Q(available_from__lte=other.available_until))
    if other.available_from is not None:
        queryset = queryset.filter(Q(available_until__isnull=True) | Q(available_until__gte=other.available_from))
    return queryset


def offers_for_need(need: Need, *, limit: int = CANDIDATES) -> QuerySet[Offer]:
    """Open offers within reach of `need` that can serve it, nearest first, with `distance_meters`."""
    queryset = _compatible(open_with_remaining(Offer.objects.all(), Offer.Status.OPEN, "offer"), need)
    return (
        queryset.annotate(distance_meters=DistanceTo(need.location, field="location"))
        .filter(
            NearBox(need.location, need.search_radius_m, field="location"),
            distance_meters__lte=Least(F("service_radius_m"), Value(need.search_radius_m)),
        )
        .select_related("organisation")
        .order_by(KnnTo(need.location, field="location"), "id")[:limit]
    )


def needs_for_offer(offer: Offer, *, limit: int = CANDIDATES) -> QuerySet[Need]:
    """Open needs within reach of `offer` that it can serve, nearest first, with `distance_meters`."""
    queryset = _compatible(open_with_remaining(Need.objects.all(), Need.Status.OPEN, "need"), offer)
    return (
        queryset.annotate(distance_meters=DistanceTo(offer.location, field="location"))
        .filter(
            NearBox(offer.location, offer.service_radius_m, field="location"),
            distance_meters__lte=Least(F("search_radius_m"), Value(offer.service_radius_m)),
        )
        .select_related("organisation", "project")
        .order_by(KnnTo(offer.location, field="location"), "id")[:limit]
    )


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


def matches_for_need(need: Need, *, first: int = 10, now: datetime | None = None) -> list[Match]:
    """The offers that can serve `need`, best first."""
    now = now or timezone.now()
    found = [
        Match(o, need, o.distance_meters, match_score(o, need, o.distance_meters, now)) for o in offers_for_need(need)
    ]
    return _best(found, first)


def matches_for_offer(offer: Offer, *, first: int = 10, now: datetime | None = None) -> list[Match]:
    """The needs that `offer` can serve, best first."""
    now = now or timezone.now()
    found = [
        Match(offer, n, n.distance_meters, match_score(offer, n, n.distance_meters, now))
        for n in needs_for_offer(offer)
    ]
    return _best(found, first)
