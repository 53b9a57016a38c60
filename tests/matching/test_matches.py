"""Given the seeded offers and needs over Montreal, when matches are asked for, then the candidates
are exactly those a brute-force oracle finds (pyproj distances, the same rules), best first: between
exact places for staff, who may see them all, and between public places for anyone else."""

import random

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AnonymousUser
from django.test import RequestFactory
from django.utils import timezone
from pyproj import Geod
from strawberry.relay import GlobalID

from matching.selectors import (
    CANDIDATES,
    Match,
    _best,
    _candidates,
    match_score,
    matches_for_need,
    matches_for_offer,
    needs_for_offer,
    offers_for_need,
    places_seen_by,
    reachable,
)
from offers import services
from offers.models import Need, Offer
from places.models import Organisation
from tests.conftest import codes

pytestmark = pytest.mark.django_db
GEOD = Geod(ellps="WGS84")


def asked_by(user=None):
    """A request of `user` (anonymous when None): whose view of places matching takes."""
    request = RequestFactory().get("/graphql")
    request.user = user or AnonymousUser()
    return request


def staff():
    """A request of staff, who may see every exact place: matching on exact places."""
    return asked_by(get_user_model()(is_staff=True))


def overlaps(a_from, a_until, b_from, b_until) -> bool:
    return (a_from is None or b_until is None or a_from <= b_until) and (
        a_until is None or b_from is None or b_from <= a_until
    )


def can_serve(offer: Offer, need: Need, field: str = "location") -> tuple[bool, float]:
    """The oracle: whether `offer` can serve `need` with their places in `field`, and how far."""
    a, b = getattr(offer, field), getattr(need, field)
    distance = GEOD.inv(a.x, a.y, b.x, b.y)[2]
    ok = (
        not (offer.owner_id is not None and offer.owner_id == need.owner_id)  # two sides
        and not (offer.organisation_id is not None and offer.organisation_id == need.organisation_id)
        and offer.kind == need.kind
        and offer.status == "OPEN"
        and need.status == "OPEN"
        and (offer.quantity is None or offer.quantity > 0)
        and (need.quantity is None or need.quantity > 0)
        and distance <= min(offer.service_radius_m, need.search_radius_m)
        and (not offer.categories or not need.categories or set(offer.categories) & set(need.categories))
        and overlaps(offer.available_from, offer.available_until, need.available_from, need.available_until)
    )
    return bool(ok), distance


@pytest.fixture(scope="module")
def everything(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        return list(Offer.objects.all()), list(Need.objects.all())


@pytest.fixture
def mixed(everything):
    """The seeded offers and needs (all EXACT), half of them made coarse for this test (BLOCK,
    BUILDING, DISTRICT), so that their public places differ from their exact ones."""
    for model in (Offer, Need):
        pks = list(model.objects.order_by("id").values_list("pk", flat=True))
        for start, precision in enumerate(("BLOCK", "BUILDING", "DISTRICT")):
            model.objects.filter(pk__in=pks[start::6]).update(location_precision=precision)
    offers, needs = list(Offer.objects.all()), list(Need.objects.all())
    assert sum(o.location != o.public_location for o in offers) > len(offers) * 0.45
    return offers, needs


# Staff match exact places; anyone else, public ones (the same point for an EXACT row).
VIEWS = pytest.mark.parametrize(("caller", "field"), [(staff, "location"), (asked_by, "public_location")])


@VIEWS
def test_offers_for_a_need_are_exactly_the_oracle_candidates(mixed, caller, field):
    offers, needs = mixed
    found_any = 0
    for need in random.Random(3).sample(needs, 60):
        expected = {}
        for offer in offers:
            ok, distance = can_serve(offer, need, field)
            if ok:
                expected[offer.pk] = distance
        got = {o.pk: o.distance_meters for o in offers_for_need(need, request=caller())}
        assert len(expected) < CANDIDATES
        assert set(got) == set(expected), need.pk
        for pk, distance in got.items():
            assert distance == pytest.approx(expected[pk], abs=0.1)
        found_any += bool(got)
    assert found_any > 20


@VIEWS
def test_needs_for_an_offer_are_exactly_the_oracle_candidates(mixed, caller, field):
    offers, needs = mixed
    found_any = 0
    for offer in random.Random(4).sample(offers, 60):
        expected = {n.pk for n in needs if can_serve(offer, n, field)[0]}
        got = {n.pk for n in needs_for_offer(offer, request=caller())}
        assert got == expected, offer.pk
        found_any += bool(got)
    assert found_any > 5


MATCHES = """query($id: ID!, $first: Int) {
  matches(needId: $id, first: $first) {
    score distanceMeters reasons { name value weight } offer { id kind } need { id }
  }
}"""


def test_matches_come_best_first_with_their_reasons(gql, everything):
    offers, needs = everything
    need = max(needs, key=lambda n: len(offers_for_need(n, request=asked_by())))
    candidates = len(offers_for_need(need, request=asked_by()))
    body = gql(MATCHES, {"id": str(GlobalID("Need", str(need.pk))), "first": 5})
    matches = body["data"]["matches"]
    assert len(matches) == min(5, candidates) and candidates >= 5
    scores = [m["score"] for m in matches]
    assert scores == sorted(scores, reverse=True)
    for match in matches:
        assert match["need"]["id"] == str(GlobalID("Need", str(need.pk)))
        assert match["offer"]["kind"] == need.kind
        assert match["score"] == pytest.approx(sum(r["value"] * r["weight"] for r in match["reasons"]), abs=1e-3)
        assert 0 <= match["score"] <= 1


def test_matches_for_an_offer_name_needs_it_can_serve(gql, mixed):
    offers, needs = mixed
    offer = max(random.Random(8).sample(offers, 200), key=lambda o: len(needs_for_offer(o, request=asked_by())))
    body = gql(
        """query($id: ID!) { matchesForOffer(offerId: $id, first: 50) { score need { id kind } } }""",
        {"id": str(GlobalID("Offer", str(offer.pk)))},
    )
    got = {int(GlobalID.from_id(m["need"]["id"]).node_id) for m in body["data"]["matchesForOffer"]}
    expected = {n.pk for n in needs if can_serve(offer, n, "public_location")[0]}
    assert got and got <= expected and len(got) == min(50, len(expected))


def test_no_one_is_matched_with_themself(gql):
    """What `pledge` refuses (the same person, the same organisation on both sides) is never
    suggested: a person's own offer next to their need is not among its matches; a neighbour's is."""
    User = get_user_model()
    ana, ben = (User.objects.create_user(f"{n}@example.org", password="x" * 20) for n in ("ana-m", "ben-m"))
    here = Offer.objects.order_by("id").first().location
    need = services.need_create(user=ana, title="Soup for the week", kind="MEAL", location=here, quantity=5)
    own = services.offer_create(user=ana, title="Ana's soup", kind="MEAL", location=here, quantity=5)
    other = services.offer_create(user=ben, title="Ben's soup", kind="MEAL", location=here, quantity=5)
    found = {m.offer.pk for m in matches_for_need(need, request=staff(), first=100)}
    assert other.pk in found and own.pk not in found
    # Carol's need and Ben's offer, both posted for one organisation: one side too.
    carol = User.objects.create_user("carol-m@example.org", password="x" * 20)
    org_need = services.need_create(user=carol, title="Bowls", kind="MEAL", location=here, quantity=5)
    assert other.pk in {m.offer.pk for m in matches_for_need(org_need, request=staff(), first=100)}
    org = Organisation.objects.create(name="Soup kitchen", kind="ASSOCIATION", location=here)
    Need.objects.filter(pk=org_need.pk).update(organisation=org)
    Offer.objects.filter(pk=other.pk).update(organisation=org)
    org_need.refresh_from_db()
    assert other.pk not in {m.offer.pk for m in matches_for_need(org_need, request=staff(), first=100)}


def test_matches_refuse_bad_ids(gql):
    assert codes(gql(MATCHES, {"id": str(GlobalID("Need", "99999999"))}, expect_errors=True)) == ["NOT_FOUND"]
    assert codes(gql(MATCHES, {"id": str(GlobalID("Offer", "1"))}, expect_errors=True)) == ["BAD_INPUT"]
    assert codes(gql(MATCHES, {"id": str(GlobalID("Need", "1")), "first": 1000}, expect_errors=True)) == [
        "LIMIT_EXCEEDED"
    ]


@VIEWS
def test_candidate_search_never_scans_all_offers(everything, caller, field):
    """The planner reaches offers through an index (a GiST of the places searched: the column's
    own or the (kind, column) one; or on this small table sometimes the kind's), never a full scan,
    whatever the need; and it walks a GiST of the places searched for most needs."""
    from places.selectors import explain

    offers, needs = everything
    spatial = (f"offers_offer_{field}_", f"offer_kind_{field}")
    walked = 0
    for need in needs[:20]:
        places = places_seen_by(caller(), need)
        assert places.column == field
        text = explain(reachable(Offer, need, "service_radius_m", places=places, limit=CANDIDATES))
        assert "Seq Scan on offers_offer " not in text, text
        assert any(name in text for name in spatial) or "offer_kind" in text, text
        walked += any(name in text for name in spatial)
    assert walked > 10


@VIEWS
def test_matches_scored_on_values_are_those_scored_on_model_instances(mixed, django_assert_num_queries, caller, field):
    """matches_for_need and matches_for_offer score the candidates' values and build instances for
    the matches shown only: the same matches, scores and order as scoring full instances."""
    offers, needs = mixed
    request = caller()
    now = timezone.now()
    # an organisation's offer right at some needs' places: among their best matches
    member = get_user_model().objects.create_user("tools@example.org", password="x" * 20)
    sampled = random.Random(9).sample(needs, 40)
    for need in sampled[:10]:
        organisation = Organisation.objects.create(name="Outils", kind="ASSOCIATION", location=need.location)
        organisation.members.add(member)
        services.offer_create(user=member, organisation=organisation, title="Shared", kind=need.kind,
                              location=need.location, categories=need.categories)  # fmt: skip
    compared, with_organisation = 0, 0
    for need in sampled:
        expected = _best([Match(o, need, o.distance_meters, match_score(o, need, o.distance_meters, now))
                          for o in offers_for_need(need, request=request)], 5)  # fmt: skip
        got = matches_for_need(need, request=request, first=5, now=now)
        assert [(m.offer.pk, m.score, m.distance_m) for m in got] == [
            (m.offer.pk, m.score, m.distance_m) for m in expected
        ], need.pk
        for shown, full in zip(got, expected, strict=True):
            assert isinstance(shown.offer, Offer) and shown.offer.title == full.offer.title
            assert (shown.offer.exact_x, shown.offer.remaining) == (full.offer.exact_x, full.offer.remaining)
            with django_assert_num_queries(0):  # the organisation came with the matches
                assert getattr(shown.offer.organisation, "pk", None) == full.offer.organisation_id
            with_organisation += full.offer.organisation_id is not None
        compared += len(got)
    for offer in random.Random(10).sample(offers, 40):
        expected = _best([Match(offer, n, n.distance_meters, match_score(offer, n, n.distance_meters, now))
                          for n in needs_for_offer(offer, request=request)], 5)  # fmt: skip
        got = matches_for_offer(offer, request=request, first=5, now=now)
        assert [(m.need.pk, m.score) for m in got] == [(m.need.pk, m.score) for m in expected], offer.pk
        compared += len(got)
    assert compared > 50 and with_organisation > 0


@VIEWS
def test_candidates_read_as_rows_are_what_values_gives(mixed, caller, field):
    """The candidate search reads its rows as psycopg gives them, without Django's converters: for
    each column and annotation, the same value and the same type as through `values()` (a column
    added with a converter of its own, a JSON field say, would fail here)."""
    offers, needs = mixed
    compared = 0
    for origin, model, reach in [(n, Offer, "service_radius_m") for n in needs[:30]] + [
        (o, Need, "search_radius_m") for o in offers[:30]
    ]:
        nearest = reachable(model, origin, reach, places=places_seen_by(caller(), origin), limit=CANDIDATES)
        as_rows = [vars(candidate) for candidate in _candidates(nearest)]
        through_values = list(nearest.values(*as_rows[0])) if as_rows else []
        assert as_rows == through_values
        for row, expected in zip(as_rows, through_values, strict=True):
            assert {k: type(v) for k, v in row.items()} == {k: type(v) for k, v in expected.items()}
        compared += len(as_rows)
    assert compared > 100
