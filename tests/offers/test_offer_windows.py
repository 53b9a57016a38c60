"""Given a person offering something, when they give its window and its days, then a window of no
time is refused, and the days come back as given (in lists, compiled or not)."""

import pytest

from offers.models import Offer
from tests.conftest import codes

pytestmark = pytest.mark.django_db
CREATE = """mutation($i: OfferInput!) { createOffer(input: $i) { id recurringDays } }"""
OFFER = {"title": "Soup on weekends", "kind": "MEAL", "location": {"longitude": -73.58, "latitude": 45.52}}


def test_a_window_that_ends_when_it_starts_is_refused(gql, register):
    token = register("soup@example.org")
    before = Offer.objects.count()
    instant = "2030-01-05T12:00:00Z"
    body = gql(
        CREATE, {"i": {**OFFER, "availableFrom": instant, "availableUntil": instant}}, token=token, expect_errors=True
    )
    assert codes(body) == ["BAD_INPUT"] and "end after it starts" in body["errors"][0]["message"], body
    assert Offer.objects.count() == before


def test_the_recurring_days_come_back_as_given(gql, register):
    token = register("weekend-soup@example.org")
    created = gql(CREATE, {"i": {**OFFER, "recurringDays": [5, 6]}}, token=token)["data"]["createOffer"]
    assert created["recurringDays"] == [5, 6]
    near = """query($typed: Boolean!) { offers(spatial: {near: {point: {longitude: -73.58, latitude: 45.52},
      radiusMeters: 500}}, orderBy: DISTANCE, first: 500) {
      edges { node { id recurringDays district @include(if: $typed) { name } } } } }"""
    for typed in (False, True):  # the page PostgreSQL builds, and the typed one
        nodes = {e["node"]["id"]: e["node"] for e in gql(near, {"typed": typed})["data"]["offers"]["edges"]}
        assert nodes[created["id"]]["recurringDays"] == [5, 6], typed
