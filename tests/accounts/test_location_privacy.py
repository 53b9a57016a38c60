"""Given a person who shares their place at BLOCK precision, when others look for them by radius,
viewport or polygon, then nothing tells apart two exact places in the same ~200 m cell: the API
cannot place the person better than the precision they chose (trilateration fails by
construction). The owner sees their exact place, and so does the other side of an accepted pledge."""

import math
import random

import pytest
import shapely
from django.contrib.auth import get_user_model
from django.contrib.gis.geos import Point
from pyproj import Geod
from shapely.geometry import shape
from strawberry.relay import GlobalID

from accounts.services import token_issue
from offers import services
from offers.models import Offer
from places.models import District
from tests.conftest import BOROUGHS, load_geojson

pytestmark = pytest.mark.django_db
GEOD = Geod(ellps="WGS84")
NEAR = """query($p: PointInput!, $r: Float!) {
  offers(spatial: {near: {point: $p, radiusMeters: $r}}, kinds: [LODGING], first: 500) {
    edges { node { id location distanceMeters locationPrecision } }
  }
}"""


@pytest.fixture
def twins():
    """Two people whose exact places differ by ~60 m but fall in the same 200 m cell."""
    User = get_user_model()
    people = [User.objects.create_user(f"twin{i}@example.org", password="x" * 20) for i in range(2)]
    exact = [Point(-73.70000, 45.47000, srid=4326), Point(-73.69940, 45.47030, srid=4326)]
    offers = [
        services.offer_create(user=p, title="Guest room", kind="LODGING", location=e, location_precision="BLOCK")
        for p, e in zip(people, exact, strict=True)
    ]
    offers = [Offer.objects.get(pk=o.pk) for o in offers]
    assert offers[0].public_location == offers[1].public_location, "same cell"
    return people, exact, offers


def visible(gql, centre, radius, token=None) -> dict:
    body = gql(NEAR, {"p": {"longitude": centre[0], "latitude": centre[1]}, "r": radius}, token=token)
    return {e["node"]["id"]: e["node"] for e in body["data"]["offers"]["edges"]}


def test_a_trilateration_attack_cannot_tell_two_places_of_one_cell_apart(gql, twins):
    people, exact, offers = twins
    ids = [str(GlobalID("Offer", str(o.pk))) for o in offers]
    rng = random.Random(1)
    seen_in = 0
    for _ in range(150):  # moving centres, small radii: what an attacker would do
        centre = (-73.6997 + rng.uniform(-0.004, 0.004), 45.4702 + rng.uniform(-0.003, 0.003))
        answer = visible(gql, centre, rng.uniform(20, 400))
        first, second = (answer.get(i) for i in ids)
        assert (first is None) == (second is None), "membership is the same for both"
        if first:
            seen_in += 1
            assert first["location"] == second["location"] and first["distanceMeters"] == second["distanceMeters"]
            assert first["locationPrecision"] == "BLOCK"
            to_public = GEOD.inv(*centre, *first["location"]["coordinates"])[2]
            assert first["distanceMeters"] == pytest.approx(to_public, abs=0.01), "measured to the public point"
    assert seen_in > 5
    public = offers[0].public_location
    for point in exact:
        assert GEOD.inv(point.x, point.y, public.x, public.y)[2] > 10, "the public point is not the exact one"


NEAREST = """query($p: PointInput!, $r: Float!) {
  offers(spatial: {near: {point: $p, radiusMeters: $r}}, kinds: [LODGING], orderBy: DISTANCE, first: 500) {
    edges { node { id location distanceMeters locationPrecision %s } }
  }
}"""


@pytest.mark.parametrize("path", ["compiled", "typed"])
def test_distances_are_those_of_the_places_shown_within_the_radius_nearest_first(gql, twins, path):
    """Coarse and exact rows in one list, asked by a stranger: each distance is the geodesic one to
    the place shown (pyproj), within the radius, and the list goes nearest first by those distances."""
    for i, (dx, dy) in enumerate([(0.0008, 0.0), (-0.0011, 0.0004), (0.0002, -0.0009)]):
        place = Point(-73.6997 + dx, 45.4702 + dy, srid=4326)
        services.offer_create(
            user=twins[0][1], title=f"Hostel {i}", kind="LODGING", location=place, location_precision="EXACT"
        )
    query = NEAREST % ("district { name }" if path == "typed" else "")
    rng = random.Random(2)
    mixed = 0
    for _ in range(40):
        centre = (-73.6997 + rng.uniform(-0.003, 0.003), 45.4702 + rng.uniform(-0.002, 0.002))
        radius = rng.uniform(50, 400)
        body = gql(query, {"p": {"longitude": centre[0], "latitude": centre[1]}, "r": radius})
        nodes = [e["node"] for e in body["data"]["offers"]["edges"]]
        for node in nodes:
            assert node["distanceMeters"] == pytest.approx(
                GEOD.inv(*centre, *node["location"]["coordinates"])[2], abs=0.01
            )
            assert node["distanceMeters"] <= radius
        distances = [node["distanceMeters"] for node in nodes]
        assert distances == sorted(distances)
        mixed += len({node["locationPrecision"] for node in nodes}) > 1
    assert mixed > 5, "lists that hold coarse and exact rows together"


def test_the_owner_sees_their_exact_place(gql, twins):
    people, exact, offers = twins
    answer = visible(gql, (exact[0].x, exact[0].y), 300, token=token_issue(user=people[0]))
    mine = answer[str(GlobalID("Offer", str(offers[0].pk)))]
    assert mine["location"]["coordinates"] == pytest.approx([exact[0].x, exact[0].y], abs=1e-7)
    assert mine["locationPrecision"] == "EXACT"
    other = answer[str(GlobalID("Offer", str(offers[1].pk)))]
    assert other["locationPrecision"] == "BLOCK"


def test_an_accepted_pledge_reveals_the_exact_place_to_the_other_side(gql, twins):
    people, exact, offers = twins
    carrier = get_user_model().objects.create_user("host-seeker@example.org", password="x" * 20)
    need = services.need_create(user=carrier, title="A room for my aunt", kind="LODGING", location=exact[0], quantity=1)
    pledge = services.pledge_create(user=people[0], offer=offers[0], need=need, quantity=1)
    node = """query($id: ID!) { node(id: $id) { ... on Offer { location locationPrecision } } }"""
    offer_id = str(GlobalID("Offer", str(offers[0].pk)))
    token = token_issue(user=carrier)
    assert gql(node, {"id": offer_id}, token=token)["data"]["node"]["locationPrecision"] == "BLOCK"
    services.pledge_respond(user=carrier, pledge=pledge, accept=True)
    revealed = gql(node, {"id": offer_id}, token=token)["data"]["node"]
    assert revealed["locationPrecision"] == "EXACT"
    assert revealed["location"]["coordinates"] == pytest.approx([exact[0].x, exact[0].y], abs=1e-7)
    assert gql(node, {"id": offer_id})["data"]["node"]["locationPrecision"] == "BLOCK", "still coarse for others"


def test_a_person_offer_is_block_by_default_and_an_organisation_exact(gql, register):
    token = register("newcomer@example.org")
    created = gql(
        """mutation { createOffer(input: {title: "Soup", kind: MEAL, location: {longitude: -73.58, latitude: 45.52}}) {
             locationPrecision } }""",
        token=token,
    )["data"]["createOffer"]
    assert created["locationPrecision"] == "EXACT", "the owner sees it exactly"
    assert Offer.objects.get(title="Soup").location_precision == "BLOCK"


def block_centre(x: float, y: float, cell_m: float = 200) -> tuple[float, float]:
    """The centre of the ~200 m cell holding (x, y), computed here as the database is documented to."""
    step_lat = cell_m / 111320.0
    lat = (math.floor(y / step_lat) + 0.5) * step_lat
    step_lon = cell_m / (111320.0 * math.cos(math.radians(lat)))
    return (math.floor(x / step_lon) + 0.5) * step_lon, lat


def test_district_membership_does_not_tell_which_side_of_a_border_a_person_lives_on(gql):
    """Given a person whose exact place lies in one borough and whose 200 m cell's centre lies in the
    next, then `withinDistrict`, `district` and the statistics place them where their public place
    is: nothing tells the exact side of the border."""
    boroughs = [
        (str(f["properties"]["CODEID"]), shapely.make_valid(shape(f["geometry"])))
        for f in load_geojson(BOROUGHS)["features"]
    ]

    def borough_of(x: float, y: float) -> str | None:
        return next((code for code, polygon in boroughs if polygon.contains(shapely.Point(x, y))), None)

    rng = random.Random(3)
    while True:  # a point whose exact borough and public borough differ (oracle: shapely)
        x, y = rng.uniform(-73.70, -73.55), rng.uniform(45.47, 45.58)
        exact_side, public_side = borough_of(x, y), borough_of(*block_centre(x, y))
        if exact_side and public_side and exact_side != public_side:
            break
    person = get_user_model().objects.create_user("border@example.org", password="x" * 20)
    offer = services.offer_create(
        user=person, title="Border soup", kind="MEAL", location=Point(x, y, srid=4326), location_precision="BLOCK"
    )
    offer_id = str(GlobalID("Offer", str(offer.pk)))
    assert Offer.objects.get(pk=offer.pk).public_location.coords == pytest.approx(block_centre(x, y), abs=1e-9)
    within = """query($d: ID!) { offers(spatial: {withinDistrict: $d}, kinds: [MEAL], first: 500) {
                   edges { node { id district { code } } } } }"""

    def listed_in(code: str) -> dict:
        district = District.objects.get(layer__slug="mtl-boroughs", code=code)
        edges = gql(within, {"d": str(GlobalID("District", str(district.pk)))})["data"]["offers"]["edges"]
        return {e["node"]["id"]: e["node"] for e in edges}

    assert offer_id not in listed_in(exact_side)
    assert listed_in(public_side)[offer_id]["district"]["code"] == public_side
