"""Given the 19 boroughs and 3,231 points of interest of Montreal, when `districtAt` is asked for
every point, then it names the borough that shapely's point-in-polygon finds in the same file."""

import pytest
from shapely import STRtree
from shapely.geometry import Point, shape

from tests.conftest import BOROUGHS, POINTS_OF_INTEREST, load_geojson

pytestmark = pytest.mark.django_db

QUERY = """query($p: PointInput!, $layer: String!) {
  districtAt(point: $p, layer: $layer) { code name layer { slug } }
}"""


def shapely_district_at(boroughs: list[dict], tree: STRtree, point: Point) -> str | None:
    hits = [boroughs[i] for i in tree.query(point, predicate="intersects")]
    return hits[0]["properties"]["CODEID"] if hits else None


def test_district_at_agrees_with_shapely_for_every_point_of_interest(gql):
    boroughs = load_geojson(BOROUGHS)["features"]
    tree = STRtree([shape(f["geometry"]) for f in boroughs])
    points = load_geojson(POINTS_OF_INTEREST)["features"]
    assert len(points) == 3231
    inside = outside = 0
    for feature in points:
        lon, lat = feature["geometry"]["coordinates"]
        expected = shapely_district_at(boroughs, tree, Point(lon, lat))
        answer = gql(QUERY, {"p": {"longitude": lon, "latitude": lat}, "layer": "mtl-boroughs"})["data"]["districtAt"]
        assert (answer["code"] if answer else None) == expected, (feature["properties"]["ID"], lon, lat)
        if expected is None:
            outside += 1
        else:
            inside += 1
            assert answer["layer"]["slug"] == "mtl-boroughs"
    # The boroughs do not cover the linked cities: both answers must have been exercised.
    assert inside > 2000 and outside > 0


def test_points_of_interest_are_assigned_to_their_borough_on_import(gql):
    boroughs = load_geojson(BOROUGHS)["features"]
    tree = STRtree([shape(f["geometry"]) for f in boroughs])
    body = gql(
        """{ pointsOfInterest(first: 500) { edges { node { location district(layer: "mtl-boroughs") { code } } } } }"""
    )
    edges = body["data"]["pointsOfInterest"]["edges"]
    assert len(edges) == 500
    for edge in edges:
        lon, lat = edge["node"]["location"]["coordinates"]
        expected = shapely_district_at(boroughs, tree, Point(lon, lat))
        got = edge["node"]["district"]
        assert (got["code"] if got else None) == expected
