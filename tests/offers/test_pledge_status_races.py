"""Given an offer whose owner closes it or changes its quantity while the need's side accepts a
pledge of it, from separate connections to the real database, then the two are serialised on the
offer's row: a pledge is never accepted of an offer closed before, and the status always says what
the quantity leaves.

Every row is written, raced on and removed from threads of their own (own connections, each write
committed), so that the threads see one another's rows; the test's own transaction (django_db, which
also makes a run of this file alone set up the test database) stays empty."""

import threading
import time
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.contrib.gis.geos import Point
from django.db import connection, transaction

from geoschema.errors import ApiError
from offers import services
from offers.models import Need, Offer, Pledge

pytestmark = pytest.mark.django_db
PLACE = Point(-73.56, 45.50, srid=4326)


def committed(call):
    """Run `call` on a connection of its own, outside the test's transaction; its result."""
    result = []

    def run():
        try:
            result.append(call())
        finally:
            connection.close()

    thread = threading.Thread(target=run)
    thread.start()
    thread.join()
    assert result, "the set-up thread failed (see its traceback above)"
    return result[0]


def attempt(call, outcomes: dict, name: str) -> None:
    try:
        call()
        outcomes[name] = "done"
    except ApiError as exc:
        outcomes[name] = exc.code
    finally:
        connection.close()


def people(prefix: str):
    User = get_user_model()
    return [
        User.objects.create_user(f"{prefix}-{side}@example.org", password="x" * 20) for side in ("giver", "carrier")
    ]


def clean_up(offer: Offer, needs: list[Need], users) -> None:
    def delete():
        Pledge.objects.filter(offer=offer).delete()
        Need.objects.filter(pk__in=[n.pk for n in needs]).delete()
        Offer.objects.filter(pk=offer.pk).delete()
        get_user_model().objects.filter(pk__in=[u.pk for u in users]).delete()
        return True

    committed(delete)


def race(calls: dict) -> dict:
    """Run each named call on a thread (and connection) of its own; what became of each."""
    outcomes = {}
    threads = [threading.Thread(target=attempt, args=(call, outcomes, name)) for name, call in calls.items()]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return outcomes


def test_an_acceptance_waiting_on_a_closing_sees_the_offer_closed():
    """The owner's closing holds the offer's row; the acceptance that arrives meanwhile waits for it,
    then reads CLOSED and is refused: the pledge stays proposed."""

    def given():
        giver, carrier = people("closing")
        offer = Offer.objects.create(title="Van", kind="CARPOOL", quantity=3, owner=giver, location=PLACE)
        need = Need.objects.create(title="Ride", kind="CARPOOL", quantity=1, owner=carrier, location=PLACE)
        return giver, carrier, offer, need, Pledge.objects.create(offer=offer, need=need, quantity=1, created_by=giver)

    giver, carrier, offer, need, pledge = committed(given)
    closing = threading.Event()

    def close():
        with transaction.atomic():
            services.offer_close(user=giver, offer=offer)
            closing.set()
            time.sleep(0.5)  # still holding the offer's row when the acceptance asks for it

    def accept():
        closing.wait()
        services.pledge_respond(user=carrier, pledge=pledge, accept=True)

    try:
        assert race({"close": close, "accept": accept}) == {"close": "done", "accept": "CONFLICT"}
        after = committed(lambda: (Pledge.objects.get(pk=pledge.pk).status, Offer.objects.get(pk=offer.pk).status))
        assert after == ("PROPOSED", "CLOSED")
    finally:
        clean_up(offer, [need], [giver, carrier])


def test_lowering_a_quantity_while_the_last_units_are_accepted_never_over_commits():
    """An offer of 2 with 1 accepted; at once, its owner lowers it to 1 and the carrier accepts a
    second pledge of 1. Whichever goes first, the other is refused, nothing is over-committed, and
    the offer is EXHAUSTED."""

    def given():
        giver, carrier = people("lowering")
        offer = Offer.objects.create(title="Tables", kind="LOAN", quantity=2, owner=giver, location=PLACE)
        needs = [Need.objects.create(title="Table", kind="LOAN", quantity=1, owner=carrier, location=PLACE)]
        needs.append(Need.objects.create(title="Table", kind="LOAN", quantity=1, owner=carrier, location=PLACE))
        first = Pledge.objects.create(offer=offer, need=needs[0], quantity=1, created_by=giver)
        services.pledge_respond(user=carrier, pledge=first, accept=True)
        second = Pledge.objects.create(offer=offer, need=needs[1], quantity=1, created_by=giver)
        return giver, carrier, offer, needs, second

    giver, carrier, offer, needs, second = committed(given)
    barrier = threading.Barrier(2)

    def lower():
        barrier.wait()
        services.offer_update(user=giver, offer=offer, quantity=Decimal(1))

    def accept():
        barrier.wait()
        services.pledge_respond(user=carrier, pledge=second, accept=True)

    def after():
        found = Offer.objects.get(pk=offer.pk)
        return found.quantity, services.committed_quantity(offer=found), found.status

    try:
        outcomes = race({"lower": lower, "accept": accept})
        assert sorted(outcomes.values()) in (["BAD_INPUT", "done"], ["CONFLICT", "done"]), outcomes
        quantity, pledged, status = committed(after)
        assert pledged == quantity and status == "EXHAUSTED"
    finally:
        clean_up(offer, needs, [giver, carrier])
