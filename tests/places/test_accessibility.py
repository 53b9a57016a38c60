"""Given Montreal's 3,231 real points of interest and an accessibility survey of them (a partner's
file with yes/no columns, here derived from each place's id, imported with `import_places
--accessibility-field`), when an accessibility map asks "wheelchair-accessible libraries within
1 km", then it gets exactly the places the survey and a pyproj distance say, nothing more."""

import json

import pytest
from django.core.management import call_command
from pyproj import Geod
from strawberry.relay import GlobalID

from places.models import Organisation
from tests.conftest import POINTS_OF_INTEREST, codes, load_geojson

pytestmark = pytest.mark.django_db
GEOD = Geod(ellps="WGS84")
QUERY = """query($p: PointInput!, $r: Float!, $a: AccessibilityFilter, $c: [String!]) {
  pointsOfInterest(spatial: {near: {point: $p, radiusMeters: $r}}, categories: $c, accessibility: $a, first: 500) {
    totalCount edges { node { id name wheelchair hearingLoop stepFreeEntrance } } } }"""


def survey(identifier: int) -> dict:
    """The survey's answers for one place (deterministic, varied)."""
    return {
        "Fauteuil": ("oui", "limité", "non")[identifier % 3],
        "Boucle": "oui" if identifier % 5 == 0 else "non",
        "Plain-pied": "" if identifier % 7 == 0 else ("oui" if identifier % 2 else "non"),
    }


@pytest.fixture
def surveyed(tmp_path):
    collection = load_geojson(POINTS_OF_INTEREST)
    for feature in collection["features"]:
        feature["properties"].update(survey(feature["properties"]["ID"]))
    path = tmp_path / "lieux-accessibilite.geojson"
    path.write_text(json.dumps(collection), encoding="utf-8")
    call_command(
        "import_places", str(path), source="mtl-lieux", name_field="Nom français", address_field=["Numéro", "rue"],
        accessibility_field=["wheelchair=Fauteuil", "hearing_loop=Boucle", "step_free_entrance=Plain-pied"],
    )  # fmt: skip
    return collection["features"]


def expected(features, centre, radius, category=None, **rules) -> set[str]:
    found = set()
    for f in features:
        p = f["properties"]
        if category and p["Catégorie"] != category:
            continue
        if any(rule(p) is False for rule in rules.values()):
            continue
        if GEOD.inv(centre[0], centre[1], p["Longitude"], p["Latitude"])[2] <= radius:
            found.add(p["Nom français"].strip())
    return found


def names(gql, centre, radius, accessibility=None, category=None) -> set[str]:
    variables = {"p": {"longitude": centre[0], "latitude": centre[1]}, "r": radius, "a": accessibility}
    variables["c"] = [category] if category else None
    edges = gql(QUERY, variables)["data"]["pointsOfInterest"]["edges"]
    return {e["node"]["name"] for e in edges}


def test_wheelchair_accessible_libraries_within_1_km(gql, surveyed):
    libraries = [f for f in surveyed if f["properties"]["Catégorie"] == "Bibliothèque"]
    checked = 0
    for library in libraries[:12]:  # centred on real libraries, so the answers are not empty
        centre = (library["properties"]["Longitude"], library["properties"]["Latitude"])
        want = expected(surveyed, centre, 1000, "Bibliothèque", wheelchair=lambda p: p["Fauteuil"] == "oui")
        got = names(gql, centre, 1000, {"wheelchair": True}, "Bibliothèque")
        assert got == want
        checked += len(want)
    assert checked > 0


def test_several_attributes_combine_and_false_means_known_not_to_be(gql, surveyed):
    centre, radius = (-73.5800, 45.5200), 2500
    both = expected(
        surveyed, centre, radius, wheelchair=lambda p: p["Fauteuil"] == "oui", loop=lambda p: p["Boucle"] == "oui"
    )
    assert names(gql, centre, radius, {"wheelchair": True, "hearingLoop": True}) == both and both
    stairs = expected(surveyed, centre, radius, steps=lambda p: p["Plain-pied"] == "non")
    assert names(gql, centre, radius, {"stepFreeEntrance": False}) == stairs and stairs
    unknown_left_out = expected(surveyed, centre, radius, steps=lambda p: p["Plain-pied"] == "oui")
    assert names(gql, centre, radius, {"stepFreeEntrance": True}) == unknown_left_out


def test_a_reimport_without_the_survey_keeps_its_answers(gql, surveyed):
    call_command("import_places", str(POINTS_OF_INTEREST), source="mtl-lieux", name_field="Nom français")
    centre = (-73.5800, 45.5200)
    assert names(gql, centre, 1500, {"hearingLoop": True}) == expected(
        surveyed, centre, 1500, loop=lambda p: p["Boucle"] == "oui"
    )


ORGANISATIONS = """query($p: PointInput!) {
  organisations(spatial: {near: {point: $p, radiusMeters: 1000}}, kinds: [ASSOCIATION], orderBy: DISTANCE) {
    totalCount edges { node { id name distanceMeters offers(first: 3) { title status } } } } }"""


def test_organisations_nearby_with_what_they_offer(gql):
    from django.contrib.auth import get_user_model
    from django.contrib.gis.geos import Point

    from offers import services

    here = (-73.5800, 45.5200)
    near = Organisation.objects.create(name="Entraide Plateau", kind="ASSOCIATION", location=Point(-73.5810, 45.5205))
    far = Organisation.objects.create(name="Loin d'ici", kind="ASSOCIATION", location=Point(-73.70, 45.60))
    shop = Organisation.objects.create(name="Quincaillerie", kind="MERCHANT", location=Point(-73.5805, 45.5201))
    member = get_user_model().objects.create_user("asso@example.org", password="x" * 20)
    near.members.add(member)
    for title in ("Soupe", "Outils", "Vélos", "Livres"):
        services.offer_create(user=member, organisation=near, title=title, kind="MATERIAL", location=near.location)
    closed = services.offer_create(
        user=member, organisation=near, title="Fermé", kind="MATERIAL", location=near.location
    )
    services.offer_close(user=member, offer=closed)
    answer = gql(ORGANISATIONS, {"p": {"longitude": here[0], "latitude": here[1]}})["data"]["organisations"]
    ids = [e["node"]["id"] for e in answer["edges"]]
    assert str(GlobalID("Organisation", str(near.pk))) in ids
    assert (
        str(GlobalID("Organisation", str(far.pk))) not in ids and str(GlobalID("Organisation", str(shop.pk))) not in ids
    )
    mine = next(e["node"] for e in answer["edges"] if e["node"]["name"] == "Entraide Plateau")
    assert [o["title"] for o in mine["offers"]] == ["Livres", "Vélos", "Outils"]  # open ones, newest first
    assert GEOD.inv(*here, -73.5810, 45.5205)[2] == pytest.approx(mine["distanceMeters"], abs=0.5)
    too_many = gql("{ organisations(first: 1) { edges { node { offers(first: 99) { title } } } } }", expect_errors=True)
    assert codes(too_many) == ["BAD_INPUT"]
