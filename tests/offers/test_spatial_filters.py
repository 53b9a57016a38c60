"""Given the seeded offers over Montreal, when a map asks for them by radius, district, polygon or
viewport, then the answer is exactly what an independent computation finds: pyproj's geodesic on
WGS84 for distances, shapely for polygons, plain comparisons for viewports."""

import random

import pytest
import shapely
from pyproj import Geod
from shapely.geometry import Point, shape
from strawberry.relay import GlobalID

from offers.models import Offer
from places.models import District
from tests.conftest import BOROUGHS, QUARTIERS, load_geojson

pytestmark = pytest.mark.django_db
GEOD = Geod(ellps="WGS84")

LIST = """query($spatial: SpatialFilter, $kinds: [HelpKind!], $orderBy: OrderBy, $first: Int, $after: String) {
  offers(spatial: $spatial, kinds: $kinds, orderBy: $orderBy, first: $first, after: $after) {
    totalCount
    pageInfo { hasNextPage endCursor }
    edges { node { id kind distanceMeters location } }
  }
}"""


def fetch_all(gql, **variables) -> tuple[list[dict], int]:
    """Every node of the list, page after page, and the reported total."""
    nodes, after = [], None
    while True:
        page = gql(LIST, {**variables, "first": 500, "after": after})["data"]["offers"]
        nodes += [edge["node"] for edge in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            return nodes, page["totalCount"]
        after = page["pageInfo"]["endCursor"]


@pytest.fixture(scope="module")
def all_offers(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        return {o.pk: (o.location.x, o.location.y, o.kind) for o in Offer.objects.only("location", "kind")}


def node_pk(node: dict) -> int:
    return int(GlobalID.from_id(node["id"]).node_id)


def geodesic(lon1: float, lat1: float, lon2: float, lat2: float) -> float:
    return GEOD.inv(lon1, lat1, lon2, lat2)[2]


def test_near_returns_exactly_the_offers_within_the_geodesic_radius(gql, all_offers):
    rng = random.Random(2026)
    checked = 0
    for _ in range(12):
        lon, lat = rng.uniform(-73.75, -73.52), rng.uniform(45.45, 45.65)
        radius = rng.choice([150.0, 400.0, 900.0, 2500.0, 6000.0])
        spatial = {"near": {"point": {"longitude": lon, "latitude": lat}, "radiusMeters": radius}}
        nodes, total = fetch_all(gql, spatial=spatial, orderBy="DISTANCE")
        distances = {pk: geodesic(lon, lat, x, y) for pk, (x, y, _) in all_offers.items()}
        expected = {pk for pk, d in distances.items() if d <= radius}
        got = [node_pk(n) for n in nodes]
        assert set(got) == expected and len(got) == len(expected) == total
        for node in nodes:
            assert node["distanceMeters"] == pytest.approx(distances[node_pk(node)], abs=0.1)
        keys = [(n["distanceMeters"], node_pk(n)) for n in nodes]
        assert keys == sorted(keys), "nearest first, ties by id"
        checked += len(got)
    assert checked > 1000


PAGE = """query($spatial: SpatialFilter, $after: String) {
  offers(spatial: $spatial, orderBy: DISTANCE, first: 7, after: $after) {
    %s pageInfo { hasNextPage endCursor } edges { node { id distanceMeters } }
  }
}"""


@pytest.mark.parametrize("with_total", [True, False], ids=["sorted-and-counted", "index-bounded"])
def test_nearest_first_pages_follow_the_exact_order(gql, all_offers, with_total):
    """Small pages give the same sequence as the exact geodesic sort, both when the total is asked
    for (one sorted query) and when it is not (pages narrowed through the KNN index)."""
    lon, lat = -73.5673, 45.5017
    spatial = {"near": {"point": {"longitude": lon, "latitude": lat}, "radiusMeters": 20000.0}}
    distance = {pk: geodesic(lon, lat, x, y) for pk, (x, y, _) in all_offers.items()}
    expected = sorted((pk for pk, d in distance.items() if d <= 20000.0), key=lambda pk: (distance[pk], pk))
    seen, after = [], None
    for _ in range(6):
        page = gql(PAGE % ("totalCount" if with_total else ""), {"spatial": spatial, "after": after})["data"]["offers"]
        seen += [node_pk(edge["node"]) for edge in page["edges"]]
        assert page["pageInfo"]["hasNextPage"]
        if with_total:
            assert page["totalCount"] == len(expected)
        after = page["pageInfo"]["endCursor"]
    assert seen == expected[:42]


def test_distance_is_null_and_distance_order_refused_without_a_point(gql):
    body = gql(LIST, {"first": 3})
    assert all(e["node"]["distanceMeters"] is None for e in body["data"]["offers"]["edges"])
    body = gql(LIST, {"orderBy": "DISTANCE"}, expect_errors=True)
    assert body["errors"][0]["extensions"]["code"] == "BAD_INPUT"


@pytest.mark.parametrize(
    "layer,path,code_field", [("mtl-boroughs", BOROUGHS, "CODEID"), ("mtl-quartiers", QUARTIERS, "no_qr")]
)
def test_within_district_agrees_with_shapely(gql, all_offers, layer, path, code_field):
    features = load_geojson(path)["features"]
    for feature in random.Random(layer).sample(features, 5):
        polygon = shapely.make_valid(shape(feature["geometry"]))
        district = District.objects.get(layer__slug=layer, code=str(feature["properties"][code_field]))
        district_id = str(GlobalID("District", str(district.pk)))
        nodes, total = fetch_all(gql, spatial={"withinDistrict": district_id})
        expected = {pk for pk, (x, y, _) in all_offers.items() if polygon.intersects(Point(x, y))}
        assert {node_pk(n) for n in nodes} == expected and total == len(expected)


def test_within_geometry_agrees_with_shapely(gql, all_offers):
    rng = random.Random(5)
    for _ in range(5):
        cx, cy = rng.uniform(-73.75, -73.52), rng.uniform(45.45, 45.65)
        ring = [(cx + 0.03 * dx, cy + 0.02 * dy) for dx, dy in ((-1, -1), (1, -0.5), (0.6, 1), (-0.8, 0.7))]
        polygon = shapely.Polygon(ring)
        geojson = shapely.geometry.mapping(polygon)
        geojson = {"type": "Polygon", "coordinates": [[list(p) for p in geojson["coordinates"][0]]]}
        nodes, total = fetch_all(gql, spatial={"withinGeometry": geojson})
        expected = {pk for pk, (x, y, _) in all_offers.items() if polygon.intersects(Point(x, y))}
        assert expected and {node_pk(n) for n in nodes} == expected and total == len(expected)


def test_bbox_agrees_with_a_plain_coordinate_comparison(gql, all_offers):
    rng = random.Random(9)
    for _ in range(6):
        west, south = rng.uniform(-73.8, -73.6), rng.uniform(45.45, 45.6)
        east, north = west + rng.uniform(0.01, 0.2), south + rng.uniform(0.01, 0.1)
        bbox = {"west": west, "south": south, "east": east, "north": north}
        nodes, total = fetch_all(gql, spatial={"bbox": bbox})
        expected = {pk for pk, (x, y, _) in all_offers.items() if west <= x <= east and south <= y <= north}
        assert {node_pk(n) for n in nodes} == expected and total == len(expected)


def test_combined_filters_are_the_intersection(gql, all_offers):
    lon, lat, radius = -73.58, 45.52, 3000.0
    west, south, east, north = -73.60, 45.50, -73.55, 45.54
    borough = load_geojson(BOROUGHS)["features"]
    plateau = next(f for f in borough if f["properties"]["NOM"] == "Le Plateau-Mont-Royal")
    polygon = shape(plateau["geometry"])
    district = District.objects.get(layer__slug="mtl-boroughs", code=plateau["properties"]["CODEID"])
    spatial = {
        "near": {"point": {"longitude": lon, "latitude": lat}, "radiusMeters": radius},
        "withinDistrict": str(GlobalID("District", str(district.pk))),
        "bbox": {"west": west, "south": south, "east": east, "north": north},
    }
    nodes, total = fetch_all(gql, spatial=spatial, kinds=["VOLUNTEERING", "MATERIAL"])
    expected = {
        pk
        for pk, (x, y, kind) in all_offers.items()
        if geodesic(lon, lat, x, y) <= radius
        and polygon.intersects(Point(x, y))
        and west <= x <= east
        and south <= y <= north
        and kind in ("VOLUNTEERING", "MATERIAL")
    }
    assert expected and {node_pk(n) for n in nodes} == expected and total == len(expected)


def test_a_viewport_includes_the_offers_on_its_edges(gql, all_offers):
    """The tightest viewport around all offers has some exactly on its sides: all are counted."""
    xs, ys = [x for x, _, _ in all_offers.values()], [y for _, y, _ in all_offers.values()]
    west, south, east, north = min(xs), min(ys), max(xs), max(ys)
    page = gql(LIST, {"spatial": {"bbox": {"west": west, "south": south, "east": east, "north": north}}, "first": 1})
    assert page["data"]["offers"]["totalCount"] == len(all_offers)


def test_a_viewport_leaves_out_an_offer_half_a_metre_past_its_edge(gql, all_offers):
    """The index's box test compares boxes rounded outwards (float4): it would let in an offer a few
    decimetres outside. The coordinates are compared exactly."""
    pk, (x, y, _) = next(iter(all_offers.items()))
    outside = {"west": x + 4e-6, "south": y - 0.001, "east": x + 0.001, "north": y + 0.001}
    on_edge = {**outside, "west": x}
    for bbox, inside in ((outside, False), (on_edge, True)):
        nodes, _ = fetch_all(gql, spatial={"bbox": bbox})
        assert (pk in {node_pk(n) for n in nodes}) is inside
        layer = gql("query($b: BBoxInput!) { mapLayer(of: OFFER, spatial: {bbox: $b}) }", {"b": bbox})
        assert (pk in {int(GlobalID.from_id(f["id"]).node_id) for f in layer["data"]["mapLayer"]["features"]}) is inside
