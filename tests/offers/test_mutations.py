"""Given logged-in people, when they post offers, needs and projects and pledge, then what they
write lands in the right districts, only owners change their things, bad input writes nothing,
and capacity is never over-committed."""

import pytest
from django.contrib.gis.geos import Point
from strawberry.relay import GlobalID

from offers import services
from offers.models import Offer
from places.models import District
from places.selectors import district_at
from tests.conftest import codes

pytestmark = pytest.mark.django_db
PLATEAU = {"longitude": -73.5800, "latitude": 45.5220}

CREATE_OFFER = """mutation($input: OfferInput!) {
  createOffer(input: $input) { id title kind quantity location district(layer: "mtl-boroughs") { name } }
}"""
CREATE_NEED = """mutation($input: NeedInput!) { createNeed(input: $input) { id kind project { title } location } }"""
PLEDGE = """mutation($o: ID!, $n: ID!, $q: Decimal!) {
  pledge(offerId: $o, needId: $n, quantity: $q) { id status quantity }
}"""
RESPOND = """mutation($p: ID!, $a: Boolean!) { respondToPledge(pledgeId: $p, accept: $a) { id status } }"""


def offer_input(**overrides) -> dict:
    return {
        "title": "Ladder to lend",
        "kind": "LOAN",
        "location": PLATEAU,
        "quantity": "2",
        "unit": "items",
        "categories": ["ladder"],
        "serviceRadiusMeters": 1500,
        **overrides,
    }


def test_create_offer_assigns_its_district_and_shows_nearby(gql, register):
    token = register("fay@example.org")
    offer = gql(CREATE_OFFER, {"input": offer_input()}, token=token)["data"]["createOffer"]
    borough = district_at(
        point=Point(PLATEAU["longitude"], PLATEAU["latitude"], srid=4326),
        layer=District.objects.get(code="5", layer__slug="mtl-boroughs").layer,
    )
    assert offer["district"]["name"] == borough.name
    nearby = gql(
        """query($p: PointInput!) { offers(spatial: {near: {point: $p, radiusMeters: 300}}, kinds: [LOAN]) {
                   edges { node { id } } } }""",
        {"p": PLATEAU},
    )
    assert offer["id"] in [e["node"]["id"] for e in nearby["data"]["offers"]["edges"]]


@pytest.mark.parametrize(
    "overrides,code",
    [
        ({"location": {"longitude": -73.58, "latitude": 95}}, "BAD_INPUT"),
        ({"quantity": "-3"}, "BAD_INPUT"),
        ({"availableFrom": "2026-12-10T00:00:00Z", "availableUntil": "2026-12-01T00:00:00Z"}, "BAD_INPUT"),
        ({"serviceRadiusMeters": 0}, "BAD_INPUT"),
        ({"kind": "TELEPORTATION"}, "BAD_INPUT"),
        ({"organisationId": str(GlobalID("Organisation", "999999"))}, "NOT_FOUND"),
    ],
)
def test_bad_offers_are_refused_and_nothing_is_written(gql, register, overrides, code):
    token = register("gus@example.org")
    before = Offer.objects.count()
    body = gql(CREATE_OFFER, {"input": offer_input(**overrides)}, token=token, expect_errors=True)
    assert codes(body) == [code]
    assert Offer.objects.count() == before


def test_writing_needs_a_token(gql):
    before = Offer.objects.count()
    assert codes(gql(CREATE_OFFER, {"input": offer_input()}, expect_errors=True)) == ["UNAUTHENTICATED"]
    assert codes(gql(CREATE_OFFER, {"input": offer_input()}, token="forged", expect_errors=True)) == ["UNAUTHENTICATED"]
    assert Offer.objects.count() == before


def test_only_the_owner_changes_or_closes_an_offer(gql, register):
    owner, other = register("hal@example.org"), register("ivy@example.org")
    offer_id = gql(CREATE_OFFER, {"input": offer_input()}, token=owner)["data"]["createOffer"]["id"]
    update = """mutation($id: ID!, $t: String!) { updateOffer(id: $id, input: {title: $t}) { title } }"""
    assert codes(gql(update, {"id": offer_id, "t": "Mine now"}, token=other, expect_errors=True)) == ["FORBIDDEN"]
    assert (
        gql(update, {"id": offer_id, "t": "Ladder, 3 m"}, token=owner)["data"]["updateOffer"]["title"] == "Ladder, 3 m"
    )
    close = "mutation($id: ID!) { closeOffer(id: $id) { status } }"
    assert codes(gql(close, {"id": offer_id}, token=other, expect_errors=True)) == ["FORBIDDEN"]
    assert gql(close, {"id": offer_id}, token=owner)["data"]["closeOffer"]["status"] == "CLOSED"
    assert Offer.objects.get(pk=GlobalID.from_id(offer_id).node_id).title == "Ladder, 3 m"


def test_a_project_need_takes_the_project_place_and_a_pledge_is_accepted_once(gql, register):
    carrier, neighbour = register("jo@example.org"), register("kim@example.org")
    project = gql(
        """mutation($p: PointInput!) { createProject(input: {title: "Ruelle verte", location: $p}) { id location } }""",
        {"p": PLATEAU},
        token=carrier,
    )["data"]["createProject"]
    need = gql(
        CREATE_NEED,
        {"input": {"title": "Ladders", "kind": "LOAN", "projectId": project["id"], "quantity": "3"}},
        token=carrier,
    )["data"]["createNeed"]
    assert need["project"]["title"] == "Ruelle verte" and need["location"] == project["location"]
    offer_id = gql(CREATE_OFFER, {"input": offer_input()}, token=neighbour)["data"]["createOffer"]["id"]

    pledge = gql(PLEDGE, {"o": offer_id, "n": need["id"], "q": "2"}, token=neighbour)["data"]["pledge"]
    assert pledge["status"] == "PROPOSED"
    assert codes(gql(PLEDGE, {"o": offer_id, "n": need["id"], "q": "5"}, token=neighbour, expect_errors=True)) == [
        "CONFLICT"
    ]
    assert codes(gql(PLEDGE, {"o": offer_id, "n": need["id"], "q": "1"}, token=carrier, expect_errors=True)) == [
        "FORBIDDEN"
    ]
    assert codes(gql(RESPOND, {"p": pledge["id"], "a": True}, token=neighbour, expect_errors=True)) == ["FORBIDDEN"]
    assert (
        gql(RESPOND, {"p": pledge["id"], "a": True}, token=carrier)["data"]["respondToPledge"]["status"] == "ACCEPTED"
    )
    assert codes(gql(RESPOND, {"p": pledge["id"], "a": False}, token=carrier, expect_errors=True)) == ["CONFLICT"]
    offer = Offer.objects.get(pk=GlobalID.from_id(offer_id).node_id)
    assert services.remaining(offer) == 0 and offer.status == "EXHAUSTED"


def test_a_failure_half_way_writes_nothing(gql, register, monkeypatch):
    """Break district assignment after the offer row is written: the whole mutation rolls back."""
    token = register("lou@example.org")
    before = Offer.objects.count()

    def broken(instance):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(services, "located_assign_districts", broken)
    body = gql(CREATE_OFFER, {"input": offer_input()}, token=token, expect_errors=True)
    assert codes(body) == ["INTERNAL"] and "disk on fire" not in str(body)
    assert Offer.objects.count() == before
