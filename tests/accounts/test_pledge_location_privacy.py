"""Who is party to a pledge, for the exact places it reveals.

A pledge has two sides, and a side is whoever acts for it: the owner of the offer (or need) and the
members of the organisation it is posted for (offers.services: either may pledge, respond, fulfil
or cancel; accounts.permissions.pledges_seen_by: either sees the pledge). Given an accepted pledge
of an offer posted for an organisation, when each kind of caller looks at the need's and the
offer's place through every path (a typed list, the same list compiled by PostgreSQL, `node(id:)`),
then the exact place shows to the thing's owner, to its organisation's members, to staff, and to
the other side of the accepted (or since fulfilled) pledge, the members of its organisation
included; to nobody else, and to nobody through a proposed, declined or cancelled pledge. A map
layer (`mapLayer`) shows public places to everyone, parties included. The Python rule
(`sees_exact_location`) and the SQL rule (`exact_location_sql`) agree on every row of the database
for each caller."""

from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AnonymousUser
from django.contrib.gis.geos import Point
from django.db import connection
from django.test import RequestFactory
from pyproj import Geod
from strawberry.relay import to_base64

from accounts.permissions import exact_location_sql, sees_exact_location
from accounts.services import token_issue
from geoschema import compiled
from offers import services
from offers.models import Need, Offer, Pledge, Project
from places.models import Organisation
from tests.conftest import codes

pytestmark = pytest.mark.django_db
GEOD = Geod(ellps="WGS84")
P = {"longitude": -73.5800, "latitude": 45.5200}  # in the Plateau, where both places are
NEED_AT = Point(-73.58130, 45.51920, srid=4326)
OFFER_AT = Point(-73.57880, 45.52070, srid=4326)
CALLERS = ("anonymous", "stranger", "outsider", "helped", "pledger", "colleague", "staff")
LISTS = """query($p: PointInput!) {
  needs(spatial: {near: {point: $p, radiusMeters: 800}}, kinds: [LOAN], first: 500) {
    edges { node { id location locationPrecision distanceMeters RELATED } } }
  offers(spatial: {near: {point: $p, radiusMeters: 800}}, kinds: [LOAN], first: 500) {
    edges { node { id location locationPrecision distanceMeters RELATED } } }
}"""
NODE = """query($need: ID!, $offer: ID!) {
  need: node(id: $need) { ... on Need { id location locationPrecision distanceMeters } }
  offer: node(id: $offer) { ... on Offer { id location locationPrecision distanceMeters } }
}"""
MAP_LAYER = """query($p: PointInput!) {
  needs: mapLayer(of: NEED, spatial: {near: {point: $p, radiusMeters: 800}}, kinds: [LOAN], limit: 5000)
  offers: mapLayer(of: OFFER, spatial: {near: {point: $p, radiusMeters: 800}}, kinds: [LOAN], limit: 5000)
}"""


@pytest.fixture
def parties():
    """A person's coarse need, and a coarse offer that a member of an organisation posted for it and
    pledged to the need (proposed): the pledger; another member of that organisation (colleague); a
    member of an unrelated organisation (outsider); a stranger; staff."""
    User = get_user_model()
    people = {name: User.objects.create_user(f"{name}@example.org") for name in CALLERS[1:]}
    User.objects.filter(pk=people["staff"].pk).update(is_staff=True)
    people["staff"].refresh_from_db()
    workshop = Organisation.objects.create(name="Atelier", kind="ASSOCIATION", location=OFFER_AT)
    workshop.members.add(people["pledger"], people["colleague"])
    unrelated = Organisation.objects.create(name="Autre", kind="MERCHANT", location=NEED_AT)
    unrelated.members.add(people["outsider"])
    need = services.need_create(
        user=people["helped"], title="A ladder for the gutter", kind="LOAN", location=NEED_AT,
        location_precision="BLOCK", quantity=Decimal(1),
    )  # fmt: skip
    offer = services.offer_create(
        user=people["pledger"], organisation=workshop, title="The workshop's ladder", kind="LOAN",
        location=OFFER_AT, location_precision="BLOCK", quantity=Decimal(3),
    )  # fmt: skip
    pledge = services.pledge_create(user=people["pledger"], offer=offer, need=need, quantity=Decimal(1))
    return people, Need.objects.get(pk=need.pk), Offer.objects.get(pk=offer.pk), pledge


def bring_to(pledge: Pledge, status: str, people: dict) -> None:
    """Take a proposed pledge to `status` the way its sides do, through the services."""
    helped, pledger = people["helped"], people["pledger"]
    if status in ("ACCEPTED", "FULFILLED", "CANCELLED_AFTER_ACCEPTED"):
        services.pledge_respond(user=helped, pledge=pledge, accept=True)
    if status == "DECLINED":
        services.pledge_respond(user=helped, pledge=pledge, accept=False)
    if status == "FULFILLED":
        services.pledge_fulfil(user=helped, pledge=pledge)
    if status in ("CANCELLED", "CANCELLED_AFTER_ACCEPTED"):
        services.pledge_cancel(user=pledger, pledge=pledge)
    pledge.refresh_from_db()
    assert pledge.status == status.removesuffix("_AFTER_ACCEPTED")


def expected_sight(status: str) -> dict[str, set[str]]:
    """Who sees each place exactly: its owner and organisation's members, staff, and, while the
    pledge is accepted (or fulfilled, which it was first), the other side of it."""
    revealed = status in ("ACCEPTED", "FULFILLED")
    return {
        "need": {"helped", "staff"} | ({"pledger", "colleague"} if revealed else set()),
        "offer": {"pledger", "colleague", "staff"} | ({"helped"} if revealed else set()),
    }


def public_distance(thing) -> float:
    """Metres from P to the public place, as lists measure it (pyproj as the oracle)."""
    return GEOD.inv(P["longitude"], P["latitude"], thing.public_location.x, thing.public_location.y)[2]


def shown(node: dict) -> tuple:
    return tuple(node["location"]["coordinates"]), node["locationPrecision"], node.get("distanceMeters")


@pytest.fixture
def built_pages(monkeypatch) -> list:
    """The pages PostgreSQL built (geoschema.compiled.page answering rather than the typed path)."""
    built, page = [], compiled.page

    def counted(*args, **kwargs):
        found = page(*args, **kwargs)
        if found is not None:
            built.append(found)
        return found

    monkeypatch.setattr(compiled, "page", counted)
    return built


def through_lists(gql, settings, built_pages: list, token, *, compile_pages: bool, related: bool) -> tuple[dict, int]:
    """{"need": shown, "offer": shown} by the two lists, and how many pages PostgreSQL built."""
    settings.QUARTIER = {**settings.QUARTIER, "COMPILED_PAGES": compile_pages}
    query = LISTS.replace("RELATED", "district { code }" if related else "")
    built_pages.clear()
    data = gql(query, {"p": P}, token=token)["data"]
    seen = {kind: {e["node"]["id"]: shown(e["node"]) for e in data[f"{kind}s"]["edges"]} for kind in ("need", "offer")}
    return seen, len(built_pages)


def test_the_parties_of_a_pledge_are_its_two_sides_with_their_organisations(gql, parties):
    """The pledge's sides as `pledges_seen_by` has them: the need's owner, the pledger and their
    colleague see the pledge; the stranger and the outsider do not (the rule the places follow)."""
    people, need, offer, pledge = parties
    bring_to(pledge, "ACCEPTED", people)
    query = """query($id: ID!) { node(id: $id) { ... on Pledge { status } } }"""
    pledge_id = to_base64("Pledge", pledge.pk)
    for caller in CALLERS:
        token = token_issue(user=people[caller]) if caller != "anonymous" else None
        body = gql(query, {"id": pledge_id}, token=token, expect_errors=True)
        sees = caller in {"helped", "pledger", "colleague", "staff"}
        assert (body["data"]["node"] is not None) == sees, caller
        assert codes(body) == ([] if sees else ["NOT_FOUND"]), caller


def expected(thing, exactly: bool, with_distance: bool = True) -> tuple:
    """What the API should show of `thing`: its exact place or its public one, and in either case
    the distance to the public place, which lists search and order by (none without `near`)."""
    distance = public_distance(thing) if with_distance else None
    if exactly:
        return (thing.location.x, thing.location.y), "EXACT", distance
    return (thing.public_location.x, thing.public_location.y), "BLOCK", distance


def check(got: tuple, want: tuple, where: str) -> None:
    assert got[0] == pytest.approx(want[0], abs=1e-7), where
    assert got[1] == want[1], where
    assert got[2] == (None if want[2] is None else pytest.approx(want[2], abs=0.01)), where


def every_path(gql, settings, built_pages: list, token, ids: dict) -> dict[str, dict]:
    """{path: {"need": shown, "offer": shown}} through each typed and compiled path."""
    lists = {
        "a typed list (a related field)": dict(compile_pages=True, related=True),
        "a compiled list": dict(compile_pages=True, related=False),
        "a typed list (compiled pages off)": dict(compile_pages=False, related=False),
    }
    answers = {}
    for path, how in lists.items():
        seen, built = through_lists(gql, settings, built_pages, token, **how)
        assert built == (2 if path == "a compiled list" else 0), f"{path}: the path taken as named"
        answers[path] = {kind: seen[kind][ids[kind]] for kind in ids}
    nodes = gql(NODE, ids, token=token)["data"]
    answers["node(id:)"] = {kind: shown(nodes[kind]) for kind in ids}
    return answers


@pytest.mark.parametrize(
    "status", ["PROPOSED", "ACCEPTED", "DECLINED", "FULFILLED", "CANCELLED", "CANCELLED_AFTER_ACCEPTED"]
)
def test_each_caller_sees_each_place_as_the_rule_says_by_every_path(gql, settings, built_pages, parties, status):
    people, need, offer, pledge = parties
    bring_to(pledge, status, people)
    things = {"need": need, "offer": offer}
    ids = {kind: to_base64(type(thing).__name__, thing.pk) for kind, thing in things.items()}
    for kind, thing in things.items():  # the places are coarse, and the rounding unambiguous
        assert thing.location_precision == "BLOCK" and thing.public_location != thing.location, kind
        assert abs(public_distance(thing) % 100 - 50) > 1, kind
    sight = expected_sight(status)
    for caller in CALLERS:
        token = token_issue(user=people[caller]) if caller != "anonymous" else None
        for path, answer in every_path(gql, settings, built_pages, token, ids).items():
            for kind, thing in things.items():
                want = expected(thing, caller in sight[kind], with_distance=path != "node(id:)")
                check(answer[kind], want, f"{status}: the {kind} seen by {caller} through {path}")

        layers = gql(MAP_LAYER, {"p": P}, token=token)["data"]
        for kind, thing in things.items():  # a map layer shows public places to everyone, owners too
            feature = next(f for f in layers[f"{kind}s"]["features"] if f["id"] == ids[kind])
            where = f"{status}: the {kind} on the map of {caller}"
            assert feature["geometry"]["coordinates"] == pytest.approx(thing.public_location.coords, abs=1e-7), where
            assert feature["properties"]["precision"] == "BLOCK", where


def test_the_members_of_the_needs_organisation_see_the_pledged_offer(gql, parties):
    """The other direction: a need posted for an organisation, a person's offer pledged to it and
    accepted by one member; another member of that organisation sees the offer's exact place."""
    people, _, _, _ = parties
    User = get_user_model()
    coordinator, board = (User.objects.create_user(f"{n}@example.org") for n in ("co", "board"))
    garden = Organisation.objects.create(name="Jardin", kind="ASSOCIATION", location=NEED_AT)
    garden.members.add(coordinator, board)
    need = services.need_create(
        user=coordinator, organisation=garden, title="Shovels", kind="MATERIAL", location=NEED_AT, quantity=Decimal(2)
    )
    offer = services.offer_create(
        user=people["stranger"], title="My shovel", kind="MATERIAL", location=OFFER_AT, location_precision="BLOCK"
    )
    pledge = services.pledge_create(user=people["stranger"], offer=offer, need=need, quantity=Decimal(1))
    query = """query($id: ID!) { node(id: $id) { ... on Offer { location locationPrecision } } }"""
    offer_id = to_base64("Offer", offer.pk)

    def seen_by(person) -> dict:
        return gql(query, {"id": offer_id}, token=token_issue(user=person))["data"]["node"]

    assert seen_by(board)["locationPrecision"] == "BLOCK", "not before the pledge is accepted"
    services.pledge_respond(user=coordinator, pledge=pledge, accept=True)
    for person in (coordinator, board):
        assert seen_by(person)["locationPrecision"] == "EXACT", person.email
        assert seen_by(person)["location"]["coordinates"] == pytest.approx([OFFER_AT.x, OFFER_AT.y], abs=1e-7)
    assert seen_by(people["outsider"])["locationPrecision"] == "BLOCK"


@pytest.mark.parametrize("status", ["PROPOSED", "ACCEPTED", "FULFILLED", "CANCELLED_AFTER_ACCEPTED"])
def test_the_python_rule_and_the_sql_rule_agree_on_every_row(parties, status):
    """For each caller, `sees_exact_location` of each offer, need and project of the database is
    `exact_location_sql` on its row, and both say what `expected_sight` says of the pledged pair."""
    people, need, offer, pledge = parties
    bring_to(pledge, status, people)
    sight = expected_sight(status)
    factory = RequestFactory()
    for caller in CALLERS:
        request = factory.get("/")
        request.user = people.get(caller) or AnonymousUser()
        for model in (Offer, Need, Project):
            table = connection.ops.quote_name(model._meta.db_table)
            condition, params = exact_location_sql(request, model, table)
            by_sql = set(model.objects.extra(where=[condition], params=params).values_list("pk", flat=True))
            rows = model.objects.only("location_precision", "owner_id", "organisation_id")
            by_python = {thing.pk for thing in rows if sees_exact_location(request, thing)}
            assert by_sql == by_python, f"{status}: {model.__name__} rows seen exactly by {caller}"
        for kind, thing in (("need", need), ("offer", offer)):
            assert sees_exact_location(request, thing) == (caller in sight[kind]), f"{status}: {kind}, {caller}"
