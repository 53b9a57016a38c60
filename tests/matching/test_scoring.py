"""The scoring parts and their sum, with exact expected values."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from matching.scoring import WEIGHTS, capacity_fit, category_fit, distance_fit, recency_fit, score, time_fit

T0 = datetime(2026, 6, 1, tzinfo=UTC)


def days(n: float) -> datetime:
    return T0 + timedelta(days=n)


@pytest.mark.parametrize(
    "distance,reach,expected", [(0, 1000, 1.0), (250, 1000, 0.75), (1000, 1000, 0.0), (1500, 1000, 0.0), (10, 0, 0.0)]
)
def test_distance_fit_falls_linearly_to_the_edge_of_reach(distance, reach, expected):
    assert distance_fit(distance, reach) == expected


@pytest.mark.parametrize(
    "offered,needed,expected",
    [
        (["tools", "paint"], ["tools", "paint"], 1.0),
        (["tools", "paint"], ["tools"], 0.5),
        (["tools", "seeds", "paint"], ["tools", "books"], 0.25),
        (["tools"], ["books"], 0.0),
        ([], ["books"], 0.5),
        (["tools"], [], 1.0),
    ],
)
def test_category_fit_is_the_jaccard_overlap(offered, needed, expected):
    assert category_fit(offered, needed) == expected


def test_time_fit_is_the_share_of_the_need_window_covered():
    assert time_fit(days(0), days(10), days(0), days(10)) == 1.0
    assert time_fit(days(5), days(30), days(0), days(10)) == 0.5
    assert time_fit(days(2), days(4), days(0), days(10)) == pytest.approx(0.2)
    assert time_fit(days(11), days(30), days(0), days(10)) == 0.0
    assert time_fit(None, None, days(0), days(10)) == 1.0
    assert time_fit(days(3), None, days(0), days(10)) == pytest.approx(0.7)
    assert time_fit(days(0), days(5), None, None) == 1.0
    assert time_fit(days(0), days(5), days(6), None) == 0.0


def test_capacity_fit_is_the_share_of_the_need_the_offer_covers():
    assert capacity_fit(Decimal(10), Decimal(40)) == 0.25
    assert capacity_fit(Decimal(50), Decimal(40)) == 1.0
    assert capacity_fit(None, Decimal(40)) == 1.0
    assert capacity_fit(Decimal(3), None) == 1.0


def test_recency_fit_falls_over_a_year():
    assert recency_fit(T0, T0) == 1.0
    assert recency_fit(T0, days(73)) == pytest.approx(0.8)
    assert recency_fit(T0, days(400)) == 0.0


def test_score_is_the_weighted_sum_of_its_reasons():
    result = score(
        distance_m=250,
        reach_m=1000,  # 0.75
        offered_categories=["tools", "paint"],
        needed_categories=["tools"],  # 0.5
        offer_window=(days(5), days(30)),
        need_window=(days(0), days(10)),  # 0.5
        offer_remaining=Decimal(10),
        need_remaining=Decimal(40),  # 0.25
        offer_created_at=T0,
        now=days(73),  # 0.8
    )
    expected = 0.35 * 0.75 + 0.25 * 0.5 + 0.15 * 0.5 + 0.15 * 0.25 + 0.10 * 0.8
    assert result.value == round(expected, 4) == 0.58
    assert [(r.name, r.value, r.weight) for r in result.reasons] == [
        ("distance", 0.75, 0.35),
        ("categories", 0.5, 0.25),
        ("time", 0.5, 0.15),
        ("capacity", 0.25, 0.15),
        ("recency", 0.8, 0.1),
    ]
    assert sum(WEIGHTS.values()) == pytest.approx(1.0)
