"""Given an analyst's heat map, when the cell size or the viewport is extreme, then the answer is a
coded client error or a grid, never a PostGIS error reported as UNAVAILABLE."""

import pytest

from tests.conftest import codes

pytestmark = pytest.mark.django_db

GRID = """query($bbox: BBoxInput!, $cell: Float!, $shape: GridShape) {
  activityGrid(bbox: $bbox, cellMeters: $cell, shape: $shape)
}"""
MAX_CELL_METERS = 50_000  # the documented bound
MONTREAL = {"west": -73.62, "south": 45.49, "east": -73.54, "north": 45.53}


@pytest.mark.parametrize("cell", [1e308, 1e100, MAX_CELL_METERS + 1, 49.9])
def test_a_cell_size_out_of_bounds_is_bad_input(gql, cell):
    body = gql(GRID, {"bbox": MONTREAL, "cell": cell}, expect_errors=True)
    assert codes(body) == ["BAD_INPUT"] and "cellMeters" in body["errors"][0]["message"]


@pytest.mark.parametrize("shape", ["HEXAGON", "SQUARE"])
@pytest.mark.parametrize(
    "bbox",
    [
        MONTREAL,
        {"west": 178.0, "south": 88.0, "east": 180.0, "north": 90.0},
        {"west": -180.0, "south": -90.0, "east": -178.0, "north": -88.0},
        {"west": -1.0, "south": 84.0, "east": 1.0, "north": 86.0},
        {"west": 179.0, "south": -1.0, "east": 180.0, "north": 1.0},
        {"west": 0.0, "south": 89.5, "east": 0.0, "north": 90.0},
    ],
)
def test_the_largest_cells_on_any_viewport_make_a_grid(gql, bbox, shape):
    body = gql(GRID, {"bbox": bbox, "cell": float(MAX_CELL_METERS), "shape": shape})
    assert body["data"]["activityGrid"]["type"] == "FeatureCollection"


def test_the_smallest_cells_near_a_pole_make_a_grid_or_a_limit(gql):
    bbox = {"west": 0.0, "south": 85.0, "east": 0.01, "north": 85.01}
    body = gql(GRID, {"bbox": bbox, "cell": 50.0}, expect_errors=True)
    assert codes(body) in ([], ["LIMIT_EXCEEDED"]), body
