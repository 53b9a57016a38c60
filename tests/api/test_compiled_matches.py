"""Matches built as JSON at once (MatchType.answer) answer exactly what the typed resolvers answer.

Given the same query, variables and caller, when it is answered once with compiled answers and once
with every field resolved in Python (QUARTIER["COMPILED_PAGES"] off), then the two answers are the
same JSON: scores, reasons, distances, and the offer's and need's ids, texts, enums,
decimals, timestamps, places and precisions, for anonymous callers and for those who may see exact
places."""

from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.contrib.gis.geos import Point
from django.db import connection
from django.test.utils import CaptureQueriesContext
from strawberry.relay import to_base64

from accounts.models import Community
from offers import services
from offers.models import Need, Offer
from tests.api.test_compiled_pages import GEOD, P, both_ways, callers  # noqa: F401 - callers is a fixture

pytestmark = pytest.mark.django_db
NODE = "__typename id title description kind categories quantity unit availableFrom availableUntil createdAt status"
QUERIES = {
    "matches, every field": f"""query($n: ID!) {{ matches(needId: $n, first: 10) {{ __typename score distanceMeters
      reasons {{ __typename name value weight }} offer {{ {NODE} serviceRadiusMeters location locationPrecision }}
      need {{ {NODE} searchRadiusMeters deadline location locationPrecision }} }} }}""",
    "matches, aliases and fragments": """fragment Place on Located { location locationPrecision }
      query($n: ID!) { best: matches(needId: $n, first: 2) { s: score ... on Match { why: reasons { n: name } }
      o: offer { i: id ...Place ... on Offer { t: title } } } }""",
    "matches for an offer": """query($o: ID!) { matchesForOffer(offerId: $o, first: 10) { distanceMeters score
      need { id title kind deadline location locationPrecision } offer { id } } }""",
    "first: 0": """query($n: ID!) { matches(needId: $n, first: 0) { score offer { id } } }""",
}


@pytest.fixture
def wanted(callers):  # noqa: F811 - the fixture imported above
    """Besides the offers of `callers`: a coarse need that several offers can serve (a stranger
    sees it at its public place), and a member's need in the cooperative (its members' offers serve
    it too)."""
    User = get_user_model()
    asker = User.objects.create_user("asker@example.org", password="x" * 20)
    near = Point(P["longitude"] + 0.0004, P["latitude"] - 0.0002, srid=4326)
    need = services.need_create(
        user=asker, title="Tools and boxes", kind="MATERIAL", location=near, location_precision="BLOCK",
        quantity=Decimal("4.5"), unit="items", categories=["tools"],
    )  # fmt: skip
    member = User.objects.get(**{User.USERNAME_FIELD: "member@example.org"})  # a manager of the cooperative
    coop = Community.objects.get(name="Coop")
    in_coop = services.need_create(
        user=member, community=coop, title="A drill for the coop", kind="MATERIAL", location=near
    )
    offer = Offer.objects.get(title="Workshop tools")
    return {"n": to_base64("Need", need.pk), "coop": to_base64("Need", in_coop.pk), "o": to_base64("Offer", offer.pk)}


def difference(a, b, path: str = "") -> str | None:
    """Where two JSON answers differ (a number against a string, or a boolean, differs); None when
    they are the same."""
    if isinstance(a, dict) and isinstance(b, dict):
        if list(a) != list(b):
            return f"{path}: keys {list(a)} != {list(b)}"
        return next((d for k in a if (d := difference(a[k], b[k], f"{path}.{k}"))), None)
    if isinstance(a, list) and isinstance(b, list):
        if len(a) != len(b):
            return f"{path}: {len(a)} items != {len(b)}"
        return next(
            (d for i, (x, y) in enumerate(zip(a, b, strict=True)) if (d := difference(x, y, f"{path}[{i}]"))), None
        )
    number = (int, float)  # JSON has one kind of number: 2000 and 2000.0 are the same Float
    kinds = [("number" if isinstance(v, number) and not isinstance(v, bool) else type(v)) for v in (a, b)]
    if kinds[0] != kinds[1] or a != b:
        return f"{path}: {a!r} != {b!r}"
    return None


@pytest.mark.parametrize("name", list(QUERIES))
def test_compiled_matches_are_the_typed_matches(gql, settings, callers, wanted, name):  # noqa: F811
    query = QUERIES[name]
    answered = []
    asked = [("n", caller) for caller in callers] + [("coop", "member")]  # the coop's need: its members see it
    for need, caller in asked:
        variables = {k: v for k, v in {"n": wanted[need], "o": wanted["o"]}.items() if f"${k}" in query}
        compiled, typed, built = both_ways(gql, settings, query, variables, callers[caller])
        assert difference(compiled, typed) is None, f"{name} for {need}, seen by {caller}"
        answer = next(iter(typed["data"].values()))
        objects = sum(f" {side} {{" in query for side in ("offer", "need"))
        assert built == (objects if answer else 0), f"{name}: one compiled query per object field"
        answered.append(len(answer))
    assert max(answered) >= (0 if "first: 0" in query else 2), "the question has matches to compare"


def test_compiled_matches_place_each_side_where_the_caller_may_see_it(gql, settings, callers, wanted):  # noqa: F811
    """A stranger's distances are between the coarse need's public place and the offers' places they
    see (public ones), staff's between the exact places (pyproj); the coarse offers' places are their
    public ones for a stranger."""
    query = QUERIES["matches, every field"]
    stranger, _, _ = both_ways(gql, settings, query, {"n": wanted["n"]}, None)
    staff, _, _ = both_ways(gql, settings, query, {"n": wanted["n"]}, callers["staff"])
    seen = {m["offer"]["title"]: m for m in stranger["data"]["matches"]}
    exact = {m["offer"]["title"]: m for m in staff["data"]["matches"]}
    assert {"Workshop tools", "Boxes"} <= seen.keys(), "the public offers of the need's kind"
    need = Need.objects.get(title="Tools and boxes")
    for title, match in seen.items():
        offer = Offer.objects.get(title=title)
        public = GEOD.inv(
            need.public_location.x, need.public_location.y, offer.public_location.x, offer.public_location.y
        )
        assert isinstance(match["distanceMeters"], float), title
        assert match["distanceMeters"] == pytest.approx(public[2], abs=0.01), title
        assert exact[title]["offer"]["locationPrecision"] == "EXACT"
        to_exact = GEOD.inv(need.location.x, need.location.y, offer.location.x, offer.location.y)[2]
        assert exact[title]["distanceMeters"] == pytest.approx(to_exact, abs=0.01), title
    assert seen["Workshop tools"]["offer"]["locationPrecision"] == "BLOCK"
    assert seen["Workshop tools"]["offer"]["location"] != exact["Workshop tools"]["offer"]["location"]
    assert "Members' drill" not in seen, "a members-only offer serves its community's needs only"


def test_matches_with_an_offers_own_distance_or_relations_take_the_typed_path(gql, settings, callers, wanted):  # noqa: F811
    for selection in ("offer { id distanceMeters }", "offer { id organisation { name } }", "need { project { id } }"):
        query = f"query($n: ID!) {{ matches(needId: $n, first: 5) {{ score {selection} }} }}"
        compiled, typed, built = both_ways(gql, settings, query, {"n": wanted["n"]}, None)
        assert built == 0 and difference(compiled, typed) is None, selection
        assert typed["data"]["matches"], selection


def test_a_match_whose_offer_left_meanwhile_is_shown_as_found(gql, settings, callers, wanted, monkeypatch):  # noqa: F811
    """The offers are read again for their JSON: one deleted between the search and that read makes
    the answer take the typed path, which shows what the search found."""
    from geoschema import compiled

    objects = compiled.objects

    def after_a_delete(field, graphql_type, model, pks, request):
        if model is Offer:
            Offer.objects.filter(pk__in=pks, title="Workshop tools").delete()
        return objects(field, graphql_type, model, pks, request)

    monkeypatch.setattr(compiled, "objects", after_a_delete)
    settings.QUARTIER = {**settings.QUARTIER, "COMPILED_PAGES": True}
    before = Offer.objects.count()
    answer = gql("query($n: ID!) { matches(needId: $n, first: 5) { offer { id title } } }", {"n": wanted["n"]})
    assert Offer.objects.count() == before - 1
    assert len(answer["data"]["matches"]) >= 2 and all(m["offer"]["title"] for m in answer["data"]["matches"])
    assert Need.objects.filter(title="Tools and boxes").exists()


def test_matches_read_their_offers_in_one_query_whatever_their_number(gql, settings, callers, wanted):  # noqa: F811
    """The candidate search leaves texts such as `description` out: the typed path reads them for
    each shown offer, the compiled answer for all of them at once."""
    query = "query($n: ID!, $f: Int!) { matches(needId: $n, first: $f) { score offer { id title description } } }"
    counted = {}
    for compiled in (True, False):
        settings.QUARTIER = {**settings.QUARTIER, "COMPILED_PAGES": compiled}
        for first in (1, 2):
            with CaptureQueriesContext(connection) as queries:
                answer = gql(query, {"n": wanted["n"], "f": first})
            assert len(answer["data"]["matches"]) == first
            counted[compiled, first] = len(queries.captured_queries)
    assert counted[True, 1] == counted[True, 2], f"compiled: queries grow with the matches shown: {counted}"
    assert counted[False, 2] == counted[False, 1] + 1, f"typed: one more query per match shown: {counted}"
