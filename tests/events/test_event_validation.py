"""Given an organiser, when they create an event with a title of only spaces, a description of a
megabyte or thousands of categories, then they get BAD_INPUT and no event is written."""

import pytest
from strawberry.relay import GlobalID

from events.models import Event, Registration
from offers.models import CATEGORIES_MAX, DESCRIPTION_MAX_LENGTH
from tests.conftest import codes

CREATE = "mutation($i: EventInput!) { createEvent(input: $i) { id } }"
EVENT = {
    "title": "Repair café",
    "startsAt": "2030-01-02T10:00:00+00:00",
    "endsAt": "2030-01-02T12:00:00+00:00",
    "location": {"longitude": -73.58, "latitude": 45.52},
}


@pytest.mark.parametrize(
    "change,says",
    [
        ({"title": "   "}, "a title cannot be blank"),
        ({"description": "d" * 1_000_000}, f"a description has at most {DESCRIPTION_MAX_LENGTH} characters"),
        ({"categories": [str(i) for i in range(100)]}, f"give at most {CATEGORIES_MAX} categories"),
        ({"categories": ["repair", " "]}, "a category cannot be only spaces"),
    ],
)
def test_blank_titles_and_oversized_texts_are_refused_and_nothing_is_written(gql, register, change, says):
    token = register("tidy-host@example.org")
    before = Event.objects.count()
    body = gql(CREATE, {"i": {**EVENT, **change}}, token=token, expect_errors=True)
    assert codes(body) == ["BAD_INPUT"] and says in body["errors"][0]["message"]
    assert Event.objects.count() == before


def test_an_event_at_the_limits_is_accepted(gql, register):
    token = register("full-host@example.org")
    event = {
        **EVENT,
        "description": "d" * DESCRIPTION_MAX_LENGTH,
        "categories": [str(i) for i in range(CATEGORIES_MAX)],
    }
    assert gql(CREATE, {"i": event}, token=token)["data"]["createEvent"]["id"]


@pytest.mark.parametrize(
    "title,says",
    [
        ("\u200b", "a title cannot be blank"),
        ("\u00a0\u2060\ufeff\u200c\u200d", "a title cannot be blank"),
        ("\u3000\u3164", "a title cannot be blank"),
        ("t" * 201, "a title has at most 200 characters (this one has 201)"),
    ],
)
def test_a_title_of_only_invisible_characters_or_too_long_is_refused(gql, register, title, says):
    token = register("blank-host@example.org")
    before = Event.objects.count()
    body = gql(CREATE, {"i": {**EVENT, "title": title}}, token=token, expect_errors=True)
    assert codes(body) == ["BAD_INPUT"] and says in body["errors"][0]["message"], body
    assert Event.objects.count() == before


def test_an_event_title_is_trimmed(gql, register):
    token = register("trim-host@example.org")
    created = gql(CREATE, {"i": {**EVENT, "title": "\u200b Repair café\u00a0\n"}}, token=token)["data"]["createEvent"]
    assert Event.objects.get(pk=int(GlobalID.from_id(created["id"]).node_id)).title == "Repair café"


def test_an_event_lasts_at_most_a_year(gql, register):
    """One from year 1 to 9999 would head every feed's upcoming events forever."""
    token = register("long-host@example.org")
    before = Event.objects.count()
    forever = {**EVENT, "startsAt": "0001-01-01T00:00:00Z", "endsAt": "9999-12-31T00:00:00Z"}
    body = gql(CREATE, {"i": forever}, token=token, expect_errors=True)
    assert codes(body) == ["BAD_INPUT"] and "at most 366 days" in body["errors"][0]["message"], body
    assert Event.objects.count() == before
    season = {**EVENT, "startsAt": "2030-01-01T00:00:00Z", "endsAt": "2031-01-02T00:00:00Z"}  # 366 days
    assert gql(CREATE, {"i": season}, token=token)["data"]["createEvent"]["id"]


def test_no_seat_at_an_event_that_is_over(gql, register):
    host, guest = register("past-host@example.org"), register("late-guest@example.org")
    past = {**EVENT, "startsAt": "2020-01-02T10:00:00Z", "endsAt": "2020-01-02T12:00:00Z"}
    created = gql(CREATE, {"i": past}, token=host)["data"]["createEvent"]
    seat = "mutation($e: ID!) { registerForEvent(eventId: $e) { isRegistered } }"
    body = gql(seat, {"e": created["id"]}, token=guest, expect_errors=True)
    assert codes(body) == ["CONFLICT"] and "over" in body["errors"][0]["message"]
    assert not Registration.objects.filter(event_id=int(GlobalID.from_id(created["id"]).node_id)).exists()
