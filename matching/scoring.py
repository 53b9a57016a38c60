"""How well an offer serves a need: pure functions, each in 0..1, and their weighted sum.

Every part is returned with the score (`reasons`), so a person sees why two things were matched.
"""

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

WEIGHTS = {"distance": 0.35, "categories": 0.25, "time": 0.15, "capacity": 0.15, "recency": 0.10}
RECENCY_HORIZON_DAYS = 365


@dataclass(frozen=True)
class Reason:
    name: str
    value: float
    weight: float


@dataclass(frozen=True)
class Score:
    value: float
    reasons: tuple[Reason, ...]


def distance_fit(distance_m: float, reach_m: float) -> float:
    """1 on the spot, falling linearly to 0 at the edge of reach."""
    if reach_m <= 0:
        return 0.0
    return _clip(1.0 - distance_m / reach_m)


def category_fit(offered: list[str], needed: list[str]) -> float:
    """Jaccard overlap of the categories; a need that names none is met by any; an offer that
    names none may or may not fit (0.5)."""
    if not needed:
        return 1.0
    if not offered:
        return 0.5
    a, b = set(offered), set(needed)
    return len(a & b) / len(a | b)


def time_fit(
    offer_from: datetime | None, offer_until: datetime | None, need_from: datetime | None, need_until: datetime | None
) -> float:
    """The share of the need's window that the offer's window covers (1 when either is open-ended
    on the side that matters and they overlap)."""
    if need_from is None or need_until is None:
        return 1.0 if _overlap(offer_from, offer_until, need_from, need_until) else 0.0
    start = max(need_from, offer_from) if offer_from else need_from
    end = min(need_until, offer_until) if offer_until else need_until
    span = (need_until - need_from).total_seconds()
    if span <= 0:
        return 1.0 if start <= end else 0.0
    return _clip((end - start).total_seconds() / span)


def capacity_fit(offer_remaining: Decimal | None, need_remaining: Decimal | None) -> float:
    """How much of what is still needed this offer can cover."""
    if offer_remaining is None or need_remaining is None or need_remaining <= 0:
        return 1.0
    return _clip(float(offer_remaining) / float(need_remaining))


def recency_fit(created_at: datetime, now: datetime) -> float:
    """1 for something posted now, falling linearly to 0 after a year."""
    age_days = (now - created_at).total_seconds() / 86400
    return _clip(1.0 - age_days / RECENCY_HORIZON_DAYS)


def score(
    *,
    distance_m: float,
    reach_m: float,
    offered_categories: list[str],
    needed_categories: list[str],
    offer_window: tuple[datetime | None, datetime | None],
    need_window: tuple[datetime | None, datetime | None],
    offer_remaining: Decimal | None,
    need_remaining: Decimal | None,
    offer_created_at: datetime,
    now: datetime,
) -> Score:
    """The weighted sum of the parts, in 0..1, with the parts."""
    parts = {
        "distance": distance_fit(distance_m, reach_m),
        "categories": category_fit(offered_categories, needed_categories),
        "time": time_fit(*offer_window, *need_window),
        "capacity": capacity_fit(offer_remaining, need_remaining),
        "recency": recency_fit(offer_created_at, now),
    }
    reasons = tuple(Reason(name, round(value, 4), WEIGHTS[name]) for name, value in parts.items())
    return Score(round(sum(WEIGHTS[name] * value for name, value in parts.items()), 4), reasons)


def _overlap(a_from, a_until, b_from, b_until) -> bool:
    return (a_from is None or b_until is None or a_from <= b_until) and (
        a_until is None or b_from is None or b_from <= a_until
    )


def _clip(value: float) -> float:
    return min(1.0, max(0.0, value))
