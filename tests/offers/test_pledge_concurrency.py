"""Given a need with little capacity left, when many people's pledges are accepted at the same
moment from separate connections to the real database, then capacity is never over-committed.

Not inside a test transaction: the threads must see committed rows, so the test cleans up after itself.
"""

import threading
from decimal import Decimal

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.gis.geos import Point
from django.db import connection

from geoschema.errors import ApiError
from offers import services
from offers.models import Need, Offer, Pledge


@pytest.mark.django_db  # the one test of the module marked so: pytest then sets the test database up
def test_the_races_run_on_the_test_database():
    """The races below commit real rows (a test transaction would hide them from the other threads):
    they must reach the test database, never a developer's, also when this module runs alone."""
    assert connection.settings_dict["NAME"] == settings.DATABASES["default"]["TEST"]["NAME"]


def race(accepts: list[tuple]) -> list[str]:
    """Run `pledge_respond(user, pledge, accept=True)` for every pair at the same moment."""
    barrier, outcomes = threading.Barrier(len(accepts)), []

    def accept(user, pledge):
        barrier.wait()
        try:
            services.pledge_respond(user=user, pledge=pledge, accept=True)
            outcomes.append("accepted")
        except ApiError as exc:
            outcomes.append(exc.code)
        finally:
            connection.close()

    threads = [threading.Thread(target=accept, args=pair) for pair in accepts]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return sorted(outcomes)


def test_concurrent_acceptances_never_over_commit_a_need(django_db_setup, django_db_blocker):
    """Eight pledges of 1 against a need of 3, accepted from eight threads at once on the real
    database: exactly three are accepted, five get CONFLICT."""
    with django_db_blocker.unblock():
        User = get_user_model()
        carrier = User.objects.create_user("race-carrier@example.org", password="x" * 20)
        giver = User.objects.create_user("race-giver@example.org", password="x" * 20)
        place = Point(-73.58, 45.52, srid=4326)
        need = Need.objects.create(title="Volunteers", kind="VOLUNTEERING", quantity=3, owner=carrier, location=place)
        offers = [
            Offer.objects.create(title=f"Help {i}", kind="VOLUNTEERING", quantity=1, owner=giver, location=place)
            for i in range(8)
        ]
        pledges = [Pledge.objects.create(offer=o, need=need, quantity=1, created_by=giver) for o in offers]
        try:
            assert race([(carrier, p) for p in pledges]) == ["CONFLICT"] * 5 + ["accepted"] * 3
            assert services.committed_quantity(need=need) == Decimal(3)
            assert Need.objects.get(pk=need.pk).status == "MET"
        finally:
            Pledge.objects.filter(need=need).delete()
            Offer.objects.filter(pk__in=[o.pk for o in offers]).delete()
            need.delete()
            User.objects.filter(pk__in=[carrier.pk, giver.pk]).delete()


def test_concurrent_acceptances_never_over_commit_an_offer(django_db_setup, django_db_blocker):
    """One offer of 2 seats pledged to six needs whose six carriers accept at once: two win."""
    with django_db_blocker.unblock():
        User = get_user_model()
        giver = User.objects.create_user("seat-giver@example.org", password="x" * 20)
        carriers = [User.objects.create_user(f"seat-{i}@example.org", password="x" * 20) for i in range(6)]
        place = Point(-73.57, 45.51, srid=4326)
        offer = Offer.objects.create(title="Seats", kind="CARPOOL", quantity=2, owner=giver, location=place)
        needs = [
            Need.objects.create(title="Seat", kind="CARPOOL", quantity=1, owner=c, location=place) for c in carriers
        ]
        pledges = [Pledge.objects.create(offer=offer, need=n, quantity=1, created_by=giver) for n in needs]
        try:
            assert race(list(zip(carriers, pledges, strict=True))) == ["CONFLICT"] * 4 + ["accepted"] * 2
            assert services.committed_quantity(offer=offer) == Decimal(2)
            assert Offer.objects.get(pk=offer.pk).status == "EXHAUSTED"
        finally:
            Pledge.objects.filter(offer=offer).delete()
            Need.objects.filter(pk__in=[n.pk for n in needs]).delete()
            offer.delete()
            User.objects.filter(pk__in=[giver.pk, *[c.pk for c in carriers]]).delete()
