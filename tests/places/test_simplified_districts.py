"""Given Montreal's real boroughs, when a map asks for their boundaries simplified for its zoom,
then each polygon stays valid, loses vertices, and stays within the tolerance of the original
(Hausdorff distance in metres, measured with shapely in MTM zone 8, not by PostGIS)."""

import numpy as np
import pytest
import shapely
from pyproj import Transformer
from shapely.geometry import shape

from tests.conftest import BOROUGHS, codes, load_geojson

pytestmark = pytest.mark.django_db
MTM8 = Transformer.from_crs(4326, 32188, always_xy=True)  # NAD83 / MTM zone 8, in metres


def in_metres(geometry):
    return shapely.transform(geometry, lambda xy: np.column_stack(MTM8.transform(xy[:, 0], xy[:, 1])))


QUERY = """query($s: Float) { districts(layer: "mtl-boroughs", first: 100) {
  edges { node { code geometry(simplifyMeters: $s) } } } }"""


def vertices(geometry) -> int:
    return shapely.get_num_coordinates(geometry)


@pytest.mark.parametrize("tolerance", [10, 50, 150])
def test_simplified_boroughs_stay_valid_and_close_to_the_original(gql, tolerance):
    originals = {
        str(f["properties"]["CODEID"]): shapely.make_valid(shape(f["geometry"]))
        for f in load_geojson(BOROUGHS)["features"]
    }
    edges = gql(QUERY, {"s": tolerance})["data"]["districts"]["edges"]
    assert {e["node"]["code"] for e in edges} == set(originals)
    for edge in edges:
        simplified = shape(edge["node"]["geometry"])
        original = originals[edge["node"]["code"]]
        assert edge["node"]["geometry"]["type"] == "MultiPolygon", edge["node"]["code"]  # as the field says
        assert simplified.is_valid
        assert vertices(simplified) < vertices(original)
        distance = in_metres(simplified).hausdorff_distance(in_metres(original))
        assert distance <= tolerance * 1.01, edge["node"]["code"]


def test_fewer_vertices_as_the_tolerance_grows_and_limits_are_checked(gql):
    counts = []
    for tolerance in (None, 10, 150):
        edges = gql(QUERY, {"s": tolerance})["data"]["districts"]["edges"]
        counts.append(sum(vertices(shape(e["node"]["geometry"])) for e in edges))
    assert counts[0] > counts[1] > counts[2]
    assert codes(gql(QUERY, {"s": -5}, expect_errors=True)) == ["BAD_INPUT"]
    assert codes(gql(QUERY, {"s": 1e9}, expect_errors=True)) == ["BAD_INPUT"]
