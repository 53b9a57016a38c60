"""Given a need with little capacity left, when many people's pledges are accepted at the same
moment from separate connections to the real database, then capacity is never over-committed.

Not inside a test transaction: the threads must see committed rows, so the test cleans up after itself.
"""

import threading
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.contrib.gis.geos import Point
from django.db import connection

from geoschema.errors import ApiError
from offers import services
from offers.models import Need, Offer, Pledge


def test_concurrent_acceptances_never_over_commit(django_db_blocker):
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
        barrier, outcomes = threading.Barrier(len(pledges)), []

        def accept(pledge):
            barrier.wait()
            try:
                services.pledge_respond(user=carrier, pledge=pledge, accept=True)
                outcomes.append("accepted")
            except ApiError as exc:
                outcomes.append(exc.code)
            finally:
                connection.close()

        threads = [threading.Thread(target=accept, args=(p,)) for p in pledges]
        try:
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            assert sorted(outcomes) == ["CONFLICT"] * 5 + ["accepted"] * 3
            assert services.committed_quantity(need=need) == Decimal(3)
            assert Need.objects.get(pk=need.pk).status == "MET"
        finally:
            Pledge.objects.filter(need=need).delete()
            Offer.objects.filter(pk__in=[o.pk for o in offers]).delete()
            need.delete()
            User.objects.filter(pk__in=[carrier.pk, giver.pk]).delete()
