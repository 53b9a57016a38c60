"""Given the seeded activity, when an analyst asks for a heat map over a viewport, then each cell's
counts are what shapely counts in that cell's polygon, cells have the size asked for, and small
counts are withheld for everyone but staff."""

import pytest
from django.contrib.auth import get_user_model
from pyproj import Geod
from shapely.geometry import Point, box, shape

from accounts.services import token_issue
from offers.models import Need, Offer
from tests.conftest import codes

pytestmark = pytest.mark.django_db
GEOD = Geod(ellps="WGS84")
BBOX = {"west": -73.64, "south": 45.49, "east": -73.54, "north": 45.55}
GRID = """query($bbox: BBoxInput!, $cell: Float!, $shape: GridShape) {
  activityGrid(bbox: $bbox, cellMeters: $cell, shape: $shape)
}"""


@pytest.mark.parametrize("grid_shape,cell", [("HEXAGON", 1000.0), ("SQUARE", 800.0)])
def test_cells_count_what_lies_in_them(gql, grid_shape, cell):
    staff = token_issue(user=get_user_model().objects.create_user("heat@example.org", is_staff=True))
    features = gql(GRID, {"bbox": BBOX, "cell": cell, "shape": grid_shape}, token=staff)["data"]["activityGrid"][
        "features"
    ]
    offers = [Point(o.location.x, o.location.y) for o in Offer.objects.only("location")]
    needs = [Point(n.location.x, n.location.y) for n in Need.objects.only("location")]
    viewport = box(BBOX["west"], BBOX["south"], BBOX["east"], BBOX["north"])
    assert len(features) > 20
    covered = 0
    for feature in features:
        polygon = shape(feature["geometry"])
        assert feature["properties"]["offers"] == sum(polygon.intersects(p) for p in offers)
        assert feature["properties"]["needs"] == sum(polygon.intersects(p) for p in needs)
        covered += feature["properties"]["offers"]
        area = abs(GEOD.geometry_area_perimeter(polygon)[0])
        expected_area = cell * cell if grid_shape == "SQUARE" else 1.5 * 3**0.5 * cell * cell  # hexagon of edge `cell`
        assert area == pytest.approx(expected_area, rel=0.02)
    assert covered >= sum(viewport.intersects(p) for p in offers)


def test_small_counts_are_withheld_for_the_public(gql, settings):
    features = gql(GRID, {"bbox": BBOX, "cell": 300.0})["data"]["activityGrid"]["features"]
    threshold = settings.QUARTIER["STATS_MIN_COUNT"]
    values = [f["properties"]["offers"] for f in features]
    assert None in values and all(v is None or v == 0 or v >= threshold for v in values)


def test_a_grid_too_fine_for_its_viewport_is_refused(gql):
    body = gql(
        GRID, {"bbox": {"west": -74.5, "south": 45.0, "east": -73.0, "north": 46.0}, "cell": 60.0}, expect_errors=True
    )
    assert codes(body) == ["LIMIT_EXCEEDED"]
    assert codes(gql(GRID, {"bbox": BBOX, "cell": 5.0}, expect_errors=True)) == ["BAD_INPUT"]
