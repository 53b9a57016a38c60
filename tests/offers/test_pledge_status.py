"""Given pledges between a giver and a carrier, when the offer or the need is closed or used up, or
the offer's quantity changes, then: a pledge of a closed offer (or to a closed need) is not accepted
(CONFLICT, nothing written) but may be declined; an accepted one is still fulfilled once its offer
is closed; and an offer's status always says what its quantity leaves (OPEN, EXHAUSTED), a closed
offer staying closed."""

from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.contrib.gis.geos import Point
from strawberry.relay import GlobalID

from offers import services
from offers.models import Need, Offer, Pledge, PoolTopUp
from tests.conftest import codes

pytestmark = pytest.mark.django_db
HERE = Point(-73.58, 45.522, srid=4326)

PLEDGE = """mutation($o: ID!, $n: ID!, $q: Decimal!) {
  pledge(offerId: $o, needId: $n, quantity: $q) { id status } }"""
RESPOND = "mutation($p: ID!, $a: Boolean!) { respondToPledge(pledgeId: $p, accept: $a) { status } }"
FULFIL = "mutation($p: ID!) { fulfilPledge(pledgeId: $p) { status } }"
CLOSE = "mutation($id: ID!) { closeOffer(id: $id) { status } }"
UPDATE = "mutation($id: ID!, $q: Decimal) { updateOffer(id: $id, input: {quantity: $q}) { status quantity } }"


def gid(thing) -> str:
    return str(GlobalID(type(thing).__name__, str(thing.pk)))


def state(*things) -> list:
    """What a refused write must leave as it was: statuses, quantities, pledges, top-ups."""
    found = [type(t).objects.filter(pk=t.pk).values_list("status", "quantity").get() for t in things]
    return [*found, sorted(Pledge.objects.values_list("pk", "status")), PoolTopUp.objects.count()]


@pytest.fixture
def sides(register, gql):
    """(token, user) of a giver and of a carrier, and `gql` to act for them."""
    User = get_user_model()
    found = {"gql": gql}
    for name in ("giver", "carrier"):
        found[name] = (register(f"{name}@example.org"), User.objects.get(username=f"{name}@example.org"))
    return found


def offer_of(user, quantity: int | None = 2) -> Offer:
    quantity = None if quantity is None else Decimal(quantity)
    return services.offer_create(user=user, title="Chairs", kind="LOAN", location=HERE, quantity=quantity)


def need_of(user, quantity: int = 2) -> Need:
    return services.need_create(user=user, title="Chairs", kind="LOAN", location=HERE, quantity=Decimal(quantity))


def proposed(sides, offer: Offer, need: Need, quantity: str = "1") -> str:
    """The giver pledges `quantity` of `offer` to `need` through the API; the pledge's id."""
    token, _ = sides["giver"]
    variables = {"o": gid(offer), "n": gid(need), "q": quantity}
    return sides["gql"](PLEDGE, variables, token=token)["data"]["pledge"]["id"]


# Defect: a closed offer's pledge could still be accepted and fulfilled.


def test_a_pledge_of_an_offer_closed_since_is_not_accepted_but_may_be_declined(gql, sides):
    (giver_token, giver), (carrier_token, carrier) = sides["giver"], sides["carrier"]
    offer, need = offer_of(giver), need_of(carrier)
    pledge = proposed(sides, offer, need)
    gql(CLOSE, {"id": gid(offer)}, token=giver_token)
    before = state(offer, need)

    body = gql(RESPOND, {"p": pledge, "a": True}, token=carrier_token, expect_errors=True)

    assert codes(body) == ["CONFLICT"]
    assert "this offer is closed" in body["errors"][0]["message"]
    assert state(offer, need) == before
    assert codes(gql(FULFIL, {"p": pledge}, token=carrier_token, expect_errors=True)) == ["CONFLICT"]
    assert gql(RESPOND, {"p": pledge, "a": False}, token=carrier_token)["data"]["respondToPledge"]["status"] == (
        "DECLINED"
    )
    assert Offer.objects.get(pk=offer.pk).status == "CLOSED"


def test_a_pledge_to_a_need_closed_since_is_not_accepted(gql, sides):
    _, giver = sides["giver"]
    carrier_token, carrier = sides["carrier"]
    offer, need = offer_of(giver), need_of(carrier)
    pledge = proposed(sides, offer, need)
    Need.objects.filter(pk=need.pk).update(status=Need.Status.CLOSED)  # no mutation closes a need yet
    before = state(offer, need)
    body = gql(RESPOND, {"p": pledge, "a": True}, token=carrier_token, expect_errors=True)
    assert codes(body) == ["CONFLICT"]
    assert "this need is closed" in body["errors"][0]["message"]
    assert state(offer, need) == before


def test_a_pledge_of_an_offer_used_up_since_is_not_accepted(gql, sides):
    _, giver = sides["giver"]
    carrier_token, carrier = sides["carrier"]
    offer = offer_of(giver, quantity=1)
    first, second = need_of(carrier), need_of(carrier)
    taken, late = proposed(sides, offer, first), proposed(sides, offer, second)
    gql(RESPOND, {"p": taken, "a": True}, token=carrier_token)
    assert Offer.objects.get(pk=offer.pk).status == "EXHAUSTED"
    before = state(offer, second)
    body = gql(RESPOND, {"p": late, "a": True}, token=carrier_token, expect_errors=True)
    assert codes(body) == ["CONFLICT"]
    assert state(offer, second) == before


def test_an_accepted_pledge_is_fulfilled_after_its_offer_is_closed(gql, sides):
    """Closing an offer stops new pledges; the delivery already agreed can still be recorded."""
    giver_token, giver = sides["giver"]
    carrier_token, carrier = sides["carrier"]
    offer, need = offer_of(giver), need_of(carrier)
    pledge = proposed(sides, offer, need)
    gql(RESPOND, {"p": pledge, "a": True}, token=carrier_token)
    gql(CLOSE, {"id": gid(offer)}, token=giver_token)
    assert gql(FULFIL, {"p": pledge}, token=carrier_token)["data"]["fulfilPledge"]["status"] == "FULFILLED"
    assert Offer.objects.get(pk=offer.pk).status == "CLOSED"


# Defect: updateOffer(quantity) left the status as it was.


def test_raising_an_exhausted_offers_quantity_reopens_it(gql, sides):
    giver_token, giver = sides["giver"]
    carrier_token, carrier = sides["carrier"]
    offer, need = offer_of(giver, quantity=2), need_of(carrier, quantity=10)
    gql(RESPOND, {"p": proposed(sides, offer, need, "2"), "a": True}, token=carrier_token)
    assert Offer.objects.get(pk=offer.pk).status == "EXHAUSTED"

    answer = gql(UPDATE, {"id": gid(offer), "q": "50"}, token=giver_token)["data"]["updateOffer"]

    assert answer == {"status": "OPEN", "quantity": "50.00"}
    assert Offer.objects.get(pk=offer.pk).status == "OPEN"
    pledge = proposed(sides, offer, need, "3")  # refused with CONFLICT before
    assert gql(RESPOND, {"p": pledge, "a": True}, token=carrier_token)["data"]["respondToPledge"]["status"] == (
        "ACCEPTED"
    )


def test_an_exhausted_offer_made_uncounted_reopens(gql, sides):
    giver_token, giver = sides["giver"]
    carrier_token, carrier = sides["carrier"]
    offer, need = offer_of(giver, quantity=2), need_of(carrier, quantity=10)
    gql(RESPOND, {"p": proposed(sides, offer, need, "2"), "a": True}, token=carrier_token)
    answer = gql(UPDATE, {"id": gid(offer), "q": None}, token=giver_token)["data"]["updateOffer"]
    assert answer == {"status": "OPEN", "quantity": None}
    assert Offer.objects.get(pk=offer.pk).status == "OPEN"


def test_lowering_a_quantity_to_what_is_pledged_exhausts_the_offer(gql, sides):
    giver_token, giver = sides["giver"]
    carrier_token, carrier = sides["carrier"]
    offer, need = offer_of(giver, quantity=5), need_of(carrier, quantity=10)
    gql(RESPOND, {"p": proposed(sides, offer, need, "2"), "a": True}, token=carrier_token)
    assert Offer.objects.get(pk=offer.pk).status == "OPEN"

    answer = gql(UPDATE, {"id": gid(offer), "q": "2"}, token=giver_token)["data"]["updateOffer"]

    assert answer == {"status": "EXHAUSTED", "quantity": "2.00"}
    assert Offer.objects.get(pk=offer.pk).status == "EXHAUSTED"
    body = gql(PLEDGE, {"o": gid(offer), "n": gid(need), "q": "1"}, token=giver_token, expect_errors=True)
    assert codes(body) == ["CONFLICT"]


def test_a_refused_quantity_change_leaves_the_status_as_it_was(gql, sides):
    giver_token, giver = sides["giver"]
    carrier_token, carrier = sides["carrier"]
    offer, need = offer_of(giver, quantity=5), need_of(carrier, quantity=10)
    gql(RESPOND, {"p": proposed(sides, offer, need, "3"), "a": True}, token=carrier_token)
    before = state(offer, need)
    body = gql(UPDATE, {"id": gid(offer), "q": "2"}, token=giver_token, expect_errors=True)
    assert codes(body) == ["BAD_INPUT"]
    assert state(offer, need) == before


def test_a_closed_offer_stays_closed_whatever_its_quantity(gql, sides):
    giver_token, giver = sides["giver"]
    offer = offer_of(giver, quantity=2)
    services.offer_close(user=giver, offer=offer)
    before = state(offer)
    body = gql(UPDATE, {"id": gid(offer), "q": "50"}, token=giver_token, expect_errors=True)
    assert codes(body) == ["CONFLICT"]
    assert state(offer) == before


def test_the_service_sets_the_status_without_graphql(sides):
    """offer_update on its own (admin, commands): EXHAUSTED and OPEN follow what remains."""
    _, giver = sides["giver"]
    _, carrier = sides["carrier"]
    offer, need = offer_of(giver, quantity=4), need_of(carrier, quantity=10)
    pledge = services.pledge_create(user=giver, offer=offer, need=need, quantity=Decimal(4))
    services.pledge_respond(user=carrier, pledge=pledge, accept=True)
    assert Offer.objects.get(pk=offer.pk).status == "EXHAUSTED"
    for quantity, status in (
        (Decimal(6), "OPEN"),
        (Decimal(4), "EXHAUSTED"),
        (None, "OPEN"),
        (Decimal(4), "EXHAUSTED"),
    ):
        updated = services.offer_update(user=giver, offer=offer, quantity=quantity)
        assert updated.status == Offer.objects.get(pk=offer.pk).status == status, quantity
