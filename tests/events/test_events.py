"""Given 400 events spread over Montreal's boroughs and the next six weeks, then `events` keeps
exactly those a pyproj geodesic distance and plain datetime overlap say, soonest or nearest
first; registrations never exceed the seats, even from many connections at once; members-only
events stay with the members; bad input gets its code and writes nothing."""

import random
import threading
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.contrib.gis.geos import Point
from django.db import connection
from django.utils import timezone
from pyproj import Geod
from strawberry.relay import GlobalID

from accounts import services as accounts
from accounts.services import token_issue
from events import services
from events.models import Event, Registration
from geoschema.errors import ApiError
from places.models import PointOfInterest
from places.services import districts_assign
from tests.conftest import codes

GEOD = Geod(ellps="WGS84")
LIST = """query($p: PointInput!, $r: Float!, $b: TimeRangeInput, $o: EventOrder!, $c: [String!]) {
  events(spatial: {near: {point: $p, radiusMeters: $r}}, between: $b, categories: $c, orderBy: $o, first: 500) {
    totalCount edges { node { id title startsAt endsAt distanceMeters } } } }"""


@pytest.fixture
def many_events(db):
    rng = random.Random(11)
    now = timezone.now().replace(microsecond=0)
    organiser = get_user_model().objects.create_user("organiser@example.org", password="x" * 20)
    events = [
        Event(
            title=f"Event {i}",
            owner=organiser,
            location=Point(rng.uniform(-73.75, -73.50), rng.uniform(45.45, 45.62), srid=4326),
            starts_at=(start := now + timedelta(hours=rng.uniform(-72, 24 * 42))),
            ends_at=start + timedelta(hours=rng.choice([1, 2, 3, 8, 30])),
            categories=[rng.choice(["repair", "garden", "music", "food"])],
        )
        for i in range(400)
    ]
    Event.objects.bulk_create(events)
    districts_assign(model=Event)
    return [(e.pk, e.location.x, e.location.y, e.starts_at, e.ends_at, e.categories[0]) for e in events], now


def oracle(events, centre, radius, start, end, category=None) -> dict[int, float]:
    found = {}
    for pk, x, y, starts, ends, cat in events:
        if (start is None or ends > start) and (end is None or starts < end) and category in (None, cat):
            distance = GEOD.inv(centre[0], centre[1], x, y)[2]
            if distance <= radius:
                found[pk] = distance
    return found


def test_space_and_time_filters_agree_with_an_oracle(gql, many_events):
    events, now = many_events
    rng = random.Random(3)
    for _ in range(12):
        centre = (rng.uniform(-73.70, -73.55), rng.uniform(45.48, 45.58))
        radius = rng.uniform(1500, 6000)
        start = now + timedelta(days=rng.uniform(0, 20))
        end = start + timedelta(days=rng.uniform(1, 10))
        category = rng.choice([None, "repair", "music"])
        variables = {
            "p": {"longitude": centre[0], "latitude": centre[1]},
            "r": radius,
            "b": {"start": start.isoformat(), "end": end.isoformat()},
            "o": "START",
            "c": [category] if category else None,
        }
        answer = gql(LIST, variables)["data"]["events"]
        expected = oracle(events, centre, radius, start, end, category)
        ids = [int(GlobalID.from_id(e["node"]["id"]).node_id) for e in answer["edges"]]
        assert set(ids) == set(expected) and answer["totalCount"] == len(expected)
        starts = [e["node"]["startsAt"] for e in answer["edges"]]
        assert starts == sorted(starts), "soonest first"
        nearest = gql(LIST, {**variables, "o": "DISTANCE"})["data"]["events"]["edges"]
        assert [int(GlobalID.from_id(e["node"]["id"]).node_id) for e in nearest] == sorted(expected, key=expected.get)


def test_by_default_only_events_not_over_yet(gql, many_events):
    events, now = many_events
    centre, radius = (-73.60, 45.52), 8000
    answer = gql(LIST, {"p": {"longitude": centre[0], "latitude": centre[1]}, "r": radius, "o": "START"})
    ids = {int(GlobalID.from_id(e["node"]["id"]).node_id) for e in answer["data"]["events"]["edges"]}
    assert ids == set(oracle(events, centre, radius, timezone.now(), None))
    assert any(ends <= now for _, _, _, _, ends, _ in events), "some events are over, and left out"


CREATE = """mutation($i: EventInput!) { createEvent(input: $i) {
  id title seatsLeft registeredCount isRegistered location pointOfInterest { name } } }"""


def test_create_register_and_cancel_through_the_api(gql, register):
    token, other = register("host@example.org"), register("guest@example.org")
    poi = PointOfInterest.objects.order_by("id").first()
    start = timezone.now() + timedelta(days=2)
    event = {"title": "Repair café", "startsAt": start.isoformat(), "endsAt": (start + timedelta(hours=3)).isoformat()}
    event |= {"pointOfInterestId": str(GlobalID("PointOfInterest", str(poi.pk))), "capacity": 1}
    created = gql(CREATE, {"i": event}, token=token)["data"]["createEvent"]
    assert created["location"]["coordinates"] == pytest.approx([poi.location.x, poi.location.y], abs=1e-7)
    assert created["seatsLeft"] == 1 and created["pointOfInterest"]["name"] == poi.name
    seat = """mutation($e: ID!) { registerForEvent(eventId: $e) { seatsLeft registeredCount isRegistered } }"""
    assert gql(seat, {"e": created["id"]}, token=other)["data"]["registerForEvent"] == {
        "seatsLeft": 0, "registeredCount": 1, "isRegistered": True,
    }  # fmt: skip
    full = gql(seat, {"e": created["id"]}, token=token, expect_errors=True)
    assert codes(full) == ["CONFLICT"] and "full" in full["errors"][0]["message"]
    back = """mutation($e: ID!) { cancelRegistration(eventId: $e) { seatsLeft isRegistered } }"""
    assert gql(back, {"e": created["id"]}, token=other)["data"]["cancelRegistration"] == {
        "seatsLeft": 1, "isRegistered": False,
    }  # fmt: skip


@pytest.mark.parametrize(
    "change,code",
    [
        ({"endsAt": "2026-01-01T10:00:00+00:00"}, "BAD_INPUT"),  # ends before it starts
        ({"capacity": 0}, "BAD_INPUT"),
        ({"location": None}, "BAD_INPUT"),  # no place at all
        ({"pointOfInterestId": str(GlobalID("PointOfInterest", "999999"))}, "NOT_FOUND"),
        ({"communityId": str(GlobalID("Community", "999999"))}, "NOT_FOUND"),
    ],
)
def test_bad_events_get_their_code_and_write_nothing(gql, register, change, code):
    token = register("bad-host@example.org")
    event = {"title": "Picnic", "startsAt": "2026-01-02T10:00:00+00:00", "endsAt": "2026-01-02T12:00:00+00:00",
             "location": {"longitude": -73.58, "latitude": 45.52}}  # fmt: skip
    before = Event.objects.count()
    assert codes(gql(CREATE, {"i": {**event, **change}}, token=token, expect_errors=True)) == [code]
    assert Event.objects.count() == before


def test_distance_order_needs_a_point(gql):
    body = gql("{ events(orderBy: DISTANCE) { totalCount } }", expect_errors=True)
    assert codes(body) == ["BAD_INPUT"]


def test_a_communitys_event_is_for_its_members(gql):
    User = get_user_model()
    host, outsider = (
        User.objects.create_user(f"{n}@example.org", password="x" * 20) for n in ("coop-host", "outsider")
    )
    community = accounts.community_create(user=host, name="Coop", kind="COOPERATIVE")
    start = timezone.now() + timedelta(days=1)
    event = services.event_create(
        user=host, community=community, title="AGM", location=Point(-73.58, 45.52, srid=4326),
        starts_at=start, ends_at=start + timedelta(hours=2),
    )  # fmt: skip
    variables = {"p": {"longitude": -73.58, "latitude": 45.52}, "r": 200, "o": "START"}
    seen = {who: {e["node"]["id"] for e in gql(LIST, variables, token=token_issue(user=who))["data"]["events"]["edges"]}
            for who in (host, outsider)}  # fmt: skip
    assert str(GlobalID("Event", str(event.pk))) in seen[host] - seen[outsider]
    seat = """mutation($e: ID!) { registerForEvent(eventId: $e) { id } }"""
    denied = gql(
        seat, {"e": str(GlobalID("Event", str(event.pk)))}, token=token_issue(user=outsider), expect_errors=True
    )
    assert codes(denied) == ["NOT_FOUND"] and not Registration.objects.filter(event=event).exists()


def test_registrations_never_exceed_the_seats_under_concurrency(django_db_blocker):
    """Ten people take the last three seats at once, from ten connections: three get them."""
    with django_db_blocker.unblock():
        User = get_user_model()
        people = [User.objects.create_user(f"racer{i}@example.org", password="x" * 20) for i in range(10)]
        start = timezone.now() + timedelta(days=3)
        event = Event.objects.create(
            title="Last seats", location=Point(-73.58, 45.52, srid=4326), starts_at=start,
            ends_at=start + timedelta(hours=1), capacity=3, owner=people[0],
        )  # fmt: skip
        barrier, outcomes = threading.Barrier(len(people)), []

        def take(person):
            barrier.wait()
            try:
                services.event_register(user=person, event=event)
                outcomes.append("registered")
            except ApiError as exc:
                outcomes.append(exc.code)
            finally:
                connection.close()

        threads = [threading.Thread(target=take, args=(p,)) for p in people]
        try:
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            assert sorted(outcomes) == ["CONFLICT"] * 7 + ["registered"] * 3
            assert Registration.objects.filter(event=event).count() == 3
        finally:
            event.delete()
            User.objects.filter(pk__in=[p.pk for p in people]).delete()
