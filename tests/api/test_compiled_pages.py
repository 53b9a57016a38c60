"""Pages built by PostgreSQL (geoschema.compiled) answer exactly what the typed resolvers answer.

Given the same query, variables and caller, when it is answered once with compiled pages and once
with every field resolved in Python (QUARTIER["COMPILED_PAGES"] off), then the two answers are the
same JSON: ids, texts, enums, decimals, timestamps, locations, distances, precisions, cursors,
pageInfo and totalCount, for anonymous callers and for those who may see exact places (the owner,
an organisation's member, the other side of an accepted pledge, staff)."""

import random
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.contrib.gis.geos import Point
from django.db import connection
from django.test.utils import CaptureQueriesContext
from pyproj import Geod
from strawberry.relay import to_base64

from accounts.models import Community, Membership
from accounts.services import token_issue
from geoschema import statements
from offers import services
from offers.models import Need, Offer
from places.models import District, Organisation

pytestmark = pytest.mark.django_db
GEOD = Geod(ellps="WGS84")
P = {"longitude": -73.5800, "latitude": 45.5200}
ALL_OFFER_FIELDS = """__typename id title description kind categories quantity unit availableFrom availableUntil
  createdAt status serviceRadiusMeters recurringDays location distanceMeters locationPrecision"""
QUERIES = {
    "nearest, every plain field": (
        """query($p: PointInput!) { offers(spatial: {near: {point: $p, radiusMeters: 1500}}, orderBy: DISTANCE,
           first: 40) { edges { cursor node { FIELDS } } pageInfo { hasNextPage hasPreviousPage startCursor
           endCursor } } }""".replace("FIELDS", ALL_OFFER_FIELDS)
    ),
    "radius with totalCount, second page": (
        """query($p: PointInput!, $after: String) { offers(spatial: {near: {point: $p, radiusMeters: 1500}},
           orderBy: DISTANCE, first: 25, after: $after) { totalCount __typename pageInfo { __typename hasNextPage
           hasPreviousPage endCursor } edges { __typename cursor node { id distanceMeters location } } } }"""
    ),
    "past the end, counted": (
        """query($p: PointInput!) { offers(spatial: {near: {point: $p, radiusMeters: 300}}, first: 10,
           after: "CURSOR") { totalCount edges { node { id } } pageInfo { hasNextPage hasPreviousPage
           startCursor } } }""".replace("CURSOR", to_base64("arrayconnection", 5000))
    ),
    "first: 0": """{ offers(first: 0) { totalCount edges { node { id } } pageInfo { hasNextPage } } }""",
    "aliases, fragments and two lists": (
        """fragment Where on Located { location distanceMeters }
        query($p: PointInput!) {
          near: offers(spatial: {near: {point: $p, radiusMeters: 800}}, kinds: [LODGING, MATERIAL, MEAL],
                       orderBy: DISTANCE, first: 15) {
            n: totalCount e: edges { c: cursor n: node { i: id ...Where ... on Offer { t: title k: kind } } } }
          newest: offers(orderBy: NEWEST, first: 5) { edges { node { id createdAt ...on Node { id } } } } }"""
    ),
    "viewport, categories": (
        """{ offers(spatial: {bbox: {west: -73.60, south: 45.50, east: -73.56, north: 45.53}},
             categories: ["tools", "furniture"], first: 30) { totalCount edges { node { id title categories
             location locationPrecision } } } }"""
    ),
    "inside a district": (
        """query($d: ID!) { needs(spatial: {withinDistrict: $d}, first: 30) { totalCount edges { node { id title
           kind deadline searchRadiusMeters quantity unit location locationPrecision status } } } }"""
    ),
    "inside a polygon": (
        """{ projects(spatial: {withinGeometry: {type: "Polygon", coordinates: [[[-73.62, 45.49], [-73.54, 45.49],
           [-73.54, 45.55], [-73.62, 45.55], [-73.62, 45.49]]]}}, first: 50) { totalCount edges { node { id title
           status fundingGoal startsOn endsOn createdAt location } } } }"""
    ),
    "points of interest nearest": (
        """query($p: PointInput!) { pointsOfInterest(spatial: {near: {point: $p, radiusMeters: 2000}},
           orderBy: DISTANCE, first: 30) { edges { node { id name categories address location distanceMeters
           locationPrecision } } } }"""
    ),
}


@pytest.fixture
def callers():
    """Anonymous, and four people who see some exact places: an owner of coarse offers, a member of
    an organisation posting a coarse offer, the other side of an accepted pledge, and staff."""
    User = get_user_model()
    owner = User.objects.create_user("owner@example.org", password="x" * 20)
    member = User.objects.create_user("member@example.org", password="x" * 20)
    helped = User.objects.create_user("helped@example.org", password="x" * 20)
    staff = User.objects.create_user("staff@example.org", password="x" * 20, is_staff=True)
    org = Organisation.objects.create(name="Atelier", kind="ASSOCIATION", location=Point(-73.581, 45.521, srid=4326))
    org.members.add(member)
    coop = Community.objects.create(name="Coop", kind="COOPERATIVE")
    Membership.objects.create(community=coop, user=member, role=Membership.Role.MANAGER)
    near = lambda dx, dy: Point(P["longitude"] + dx, P["latitude"] + dy, srid=4326)  # noqa: E731
    title = 'Ladder "5 m" — échelle\ttab'
    services.offer_create(
        user=owner, title=title, kind="LOAN", location=near(0.001, 0.0004), location_precision="BLOCK"
    )
    services.offer_create(
        user=owner, title="Room", kind="LODGING", location=near(-0.002, 0.001), location_precision="BUILDING",
        quantity=Decimal("2.50"), unit="nights", categories=["furniture"],
    )  # fmt: skip
    services.offer_create(
        user=member, organisation=org, title="Workshop tools", kind="MATERIAL", location=near(0.0005, -0.0007),
        location_precision="BLOCK", categories=["tools"],
    )  # fmt: skip
    services.offer_create(
        user=member, community=coop, title="Members' drill", kind="MATERIAL", location=near(0.0002, 0.0002)
    )
    lent = services.offer_create(
        user=owner, title="Boxes", kind="MATERIAL", location=near(0.0012, 0.0011), location_precision="BLOCK",
        quantity=Decimal(3),
    )  # fmt: skip
    need = services.need_create(
        user=helped, title="Moving boxes", kind="MATERIAL", location=near(-0.0011, -0.0003),
        location_precision="BLOCK", quantity=Decimal(3),
    )  # fmt: skip
    pledge = services.pledge_create(user=owner, offer=lent, need=need, quantity=Decimal(2))
    services.pledge_respond(user=helped, pledge=pledge, accept=True)
    return {
        "anonymous": None,
        **{name: token_issue(user=user) for name, user in (("owner", owner), ("member", member), ("helped", helped))},
        "staff": token_issue(user=staff),
    }


def both_ways(gql, settings, query: str, variables: dict, token: str | None) -> tuple[dict, dict, int]:
    """The answer with compiled pages, the typed answer, and how many compiled SQL queries ran."""
    settings.QUARTIER = {**settings.QUARTIER, "COMPILED_PAGES": True}
    with CaptureQueriesContext(connection) as queries:
        compiled = gql(query, variables, token=token)
    built = sum("json_build_object" in q["sql"] for q in queries.captured_queries)
    settings.QUARTIER = {**settings.QUARTIER, "COMPILED_PAGES": False}
    typed = gql(query, variables, token=token)
    return compiled, typed, built


@pytest.mark.parametrize("name", list(QUERIES))
def test_a_compiled_page_is_the_typed_page(gql, settings, callers, name):
    district = District.objects.filter(layer__slug="mtl-boroughs", name__contains="Plateau").get()
    variables = {"p": P, "d": to_base64("District", district.pk), "after": to_base64("arrayconnection", 24)}
    query = QUERIES[name]
    used = {k: v for k, v in variables.items() if f"${k}" in query}
    for caller, token in callers.items():
        compiled, typed, built = both_ways(gql, settings, query, used, token)
        assert compiled == typed, f"{name}, seen by {caller}"
        assert built == query.count("first:"), f"{name}: each list answered by one compiled query"
    assert any(typed["data"][key] for key in typed["data"]), "the question has an answer to compare"


def test_compiled_pages_show_each_caller_what_they_may_see(gql, settings, callers):
    """The exact places, distances and precision that tell the callers apart, through the compiled path."""
    query = QUERIES["nearest, every plain field"]
    answers = {}
    for caller, token in callers.items():
        compiled, _, built = both_ways(gql, settings, query, {"p": P}, token)
        assert built == 1
        answers[caller] = {e["node"]["title"]: e["node"] for e in compiled["data"]["offers"]["edges"]}
    boxes = {caller: answer["Boxes"] for caller, answer in answers.items()}
    assert boxes["anonymous"]["locationPrecision"] == "BLOCK"
    for caller, box in boxes.items():  # lists measure to the public place, whoever asks (pyproj)
        public = Offer.objects.get(title="Boxes").public_location
        assert box["distanceMeters"] == pytest.approx(
            GEOD.inv(P["longitude"], P["latitude"], public.x, public.y)[2], abs=0.01
        ), caller
    for caller in ("owner", "helped", "staff"):  # the owner, the pledge's other side, staff
        assert boxes[caller]["locationPrecision"] == "EXACT", caller
        assert boxes[caller]["location"] != boxes["anonymous"]["location"], caller
    assert answers["member"]["Workshop tools"]["locationPrecision"] == "EXACT", "the organisation's member"
    assert answers["anonymous"]["Workshop tools"]["locationPrecision"] == "BLOCK"
    assert "Members' drill" in answers["member"] and "Members' drill" not in answers["owner"], "members only"


def test_a_selection_of_related_objects_takes_the_typed_path(gql, settings, callers):
    query = """query($p: PointInput!) { offers(spatial: {near: {point: $p, radiusMeters: 800}}, first: 5) {
      edges { node { id district { name } } } } }"""
    compiled, typed, built = both_ways(gql, settings, query, {"p": P}, None)
    assert built == 0 and compiled == typed
    assert all(e["node"]["district"]["name"] for e in typed["data"]["offers"]["edges"])


def test_a_lists_plan_is_worked_out_once_a_request_and_each_alias_has_its_own(gql, settings, callers, monkeypatch):
    """The list's QuerySet and its page both ask for the plan: one working-out serves both, and two
    aliases of one list, one plain and one with a related object, are planned apart."""
    from geoschema import compiled as compiled_module

    worked_out = []
    plan = compiled_module._plan
    monkeypatch.setattr(compiled_module, "_plan", lambda info, model: worked_out.append(model) or plan(info, model))
    query = """query($p: PointInput!) {
      plain: offers(spatial: {near: {point: $p, radiusMeters: 800}}, first: 5) { edges { node { id title } } }
      related: offers(spatial: {near: {point: $p, radiusMeters: 800}}, first: 5) {
        edges { node { id title district { name } } } } }"""
    compiled, typed, built = both_ways(gql, settings, query, {"p": P}, None)
    assert compiled == typed and built == 1, "the plain alias compiled, the other typed"
    assert [e["node"]["id"] for e in typed["data"]["plain"]["edges"]]
    settings.QUARTIER = {**settings.QUARTIER, "COMPILED_PAGES": True}
    worked_out.clear()
    assert gql(query, {"p": P}) == compiled
    assert worked_out == [Offer, Offer], "one working-out for each list"


def test_rows_with_unusual_values_survive_the_sql_json(gql, settings, callers):
    """Quotes, tabs and accents in texts, a decimal's trailing zeros, microseconds in a timestamp."""
    offer = Offer.objects.get(title__startswith="Ladder")
    Offer.objects.filter(pk=offer.pk).update(description='a "quoted"\nline\\ and \u2028 é')
    Need.objects.filter(title="Moving boxes").update(quantity=Decimal("3.10"))
    query = """query($p: PointInput!) { offers(spatial: {near: {point: $p, radiusMeters: 400}}, first: 50) {
      edges { node { title description createdAt quantity } } }
      needs(spatial: {near: {point: $p, radiusMeters: 400}}, first: 50) { edges { node { quantity } } } }"""
    compiled, typed, built = both_ways(gql, settings, query, {"p": P}, None)
    assert built == 2 and compiled == typed
    ladder = next(e["node"] for e in compiled["data"]["offers"]["edges"] if e["node"]["title"].startswith("Ladder"))
    assert ladder["description"] == 'a "quoted"\nline\\ and \u2028 é'
    assert "3.10" in [e["node"]["quantity"] for e in compiled["data"]["needs"]["edges"]]


def test_kept_statements_answer_from_every_place_as_the_typed_path_does(gql, settings, callers):
    """A compiled page's statement is compiled once per shape and kept (geoschema.statements); asked
    again from other places, by each caller, the kept statement answers what the typed path does."""
    statements.shapes.clear()
    rng = random.Random(5)
    places = [{"longitude": rng.uniform(-73.60, -73.56), "latitude": rng.uniform(45.50, 45.54)} for _ in range(4)]
    names = ("nearest, every plain field", "radius with totalCount, second page", "points of interest nearest")
    rows = 0
    for name in names:
        for caller, token in callers.items():
            for place in places:
                variables = {"p": place, "after": to_base64("arrayconnection", 2)}
                used = {k: v for k, v in variables.items() if f"${k}" in QUERIES[name]}
                compiled, typed, built = both_ways(gql, settings, QUERIES[name], used, token)
                assert built == 1 and compiled == typed, f"{name}, seen by {caller} from {place}"
                rows += len(next(iter(typed["data"].values()))["edges"])
    assert rows > 100, "the places have answers to compare"
    kept = list(statements.shapes.kept.values())
    assert statements.NOT_KEPT not in kept
    assert len(kept) <= len(names) * len(callers), "one statement per question and caller, not per place"


def test_nearest_first_pages_run_prepared_and_counted_pages_as_sent(gql, settings, callers):
    """A kept statement of a nearest-first page is prepared (planned once per connection, for any
    point); one that counts every row within reach is planned for its own point each time."""
    statements.shapes.clear()
    places = [{"longitude": -73.58 + i / 1000, "latitude": 45.52} for i in range(3)]
    counted = QUERIES["radius with totalCount, second page"]
    answers = {}
    for prepared in (True, False):
        settings.QUARTIER = {**settings.QUARTIER, "PREPARED_STATEMENTS": prepared}
        for name in ("nearest, every plain field", "points of interest nearest", "radius with totalCount, second page"):
            for place in places:
                variables = (
                    {"p": place, "after": to_base64("arrayconnection", 2)} if QUERIES[name] == counted else {"p": place}
                )
                answers.setdefault((name, place["longitude"]), []).append(gql(QUERIES[name], variables))
        if prepared:
            with connection.cursor() as cursor:
                cursor.execute("SELECT statement FROM pg_prepared_statements WHERE NOT from_sql")
                kept = [row[0] for row in cursor.fetchall()]
    # then the two nearest-first pages' statements are prepared, and the counted page's is not
    assert len(kept) == 2, kept
    assert all("<->" in sql and "COUNT(*) OVER" not in sql.upper() for sql in kept), kept
    # and each answer is the same whether its statement was prepared or not
    assert all(first == second for first, second in answers.values())
    assert sum(len(next(iter(a[0]["data"].values()))["edges"]) for a in answers.values()) > 50
