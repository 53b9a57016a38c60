"""Given a map viewport, when the frontend asks for a whole layer at once, then PostGIS builds the
FeatureCollection: exactly the offers in the viewport, with their public places and properties,
capped at `limit` with `truncated` telling so; a layer's districts, simplified for the zoom."""

import numpy as np
import pytest
import shapely
from django.db import connection
from django.test.utils import CaptureQueriesContext
from pyproj import Transformer
from shapely.geometry import shape
from strawberry.relay import GlobalID

from offers.models import Offer
from tests.conftest import BOROUGHS, codes, load_geojson

pytestmark = pytest.mark.django_db
LAYER = """query($bbox: BBoxInput!, $limit: Int) {
  mapLayer(of: OFFER, spatial: {bbox: $bbox}, kinds: [MATERIAL, MEAL, MONEY], limit: $limit)
}"""
BBOX = {"west": -73.64, "south": 45.48, "east": -73.54, "north": 45.56}


def test_a_viewport_layer_is_exactly_the_offers_inside(gql):
    with CaptureQueriesContext(connection) as ctx:
        layer = gql(LAYER, {"bbox": BBOX, "limit": 5000})["data"]["mapLayer"]
    expected = {
        o.pk: o
        for o in Offer.objects.filter(kind__in=["MATERIAL", "MEAL", "MONEY"])
        if BBOX["west"] <= o.public_location.x <= BBOX["east"] and BBOX["south"] <= o.public_location.y <= BBOX["north"]
    }
    features = layer["features"]
    assert layer["type"] == "FeatureCollection" and layer["truncated"] is False
    assert {int(GlobalID.from_id(f["id"]).node_id) for f in features} == set(expected) and len(expected) > 50
    for feature in features[:100]:
        offer = expected[int(GlobalID.from_id(feature["id"]).node_id)]
        assert feature["geometry"]["coordinates"] == pytest.approx([offer.public_location.x, offer.public_location.y])
        assert feature["properties"]["title"] == offer.title and feature["properties"]["kind"] == offer.kind
    assert len([q for q in ctx.captured_queries if "json_agg" in q["sql"]]) == 1, "one query builds the layer"


def test_the_cap_truncates_and_says_so(gql):
    layer = gql(LAYER, {"bbox": BBOX, "limit": 10})["data"]["mapLayer"]
    assert len(layer["features"]) == 10 and layer["truncated"] is True
    ids = [int(GlobalID.from_id(f["id"]).node_id) for f in layer["features"]]
    assert ids == sorted(ids)


def test_limits_are_checked(gql):
    assert codes(gql(LAYER, {"bbox": BBOX, "limit": 0}, expect_errors=True)) == ["BAD_INPUT"]
    assert codes(gql(LAYER, {"bbox": BBOX, "limit": 10**6}, expect_errors=True)) == ["LIMIT_EXCEEDED"]


DISTRICTS = """query($layer: String, $zoom: Int, $spatial: SpatialFilter, $limit: Int! = 1000) {
  mapLayer(of: DISTRICT, layer: $layer, zoom: $zoom, spatial: $spatial, limit: $limit)
}"""
WEB_MERCATOR = Transformer.from_crs(4326, 3857, always_xy=True)


def mercator(geometry):
    return shapely.transform(geometry, lambda xy: np.column_stack(WEB_MERCATOR.transform(xy[:, 0], xy[:, 1])))


@pytest.mark.parametrize("zoom", [None, 11, 14])
def test_a_district_layer_is_the_boroughs_simplified_within_half_a_pixel(gql, zoom):
    """Checked against the source file with shapely and pyproj, not PostGIS: every borough, valid,
    within half a pixel of its true boundary (Web Mercator metres), coarser at lower zooms."""
    originals = {str(f["properties"]["CODEID"]): shape(f["geometry"]) for f in load_geojson(BOROUGHS)["features"]}
    layer = gql(DISTRICTS, {"layer": "mtl-boroughs", "zoom": zoom})["data"]["mapLayer"]
    features = {f["properties"]["code"]: f for f in layer["features"]}
    assert set(features) == set(originals) and layer["truncated"] is False
    tolerance = 0.5e-6 if zoom is None else 2 * 20037508.342789244 / 256 / 2**zoom / 2
    for code, feature in features.items():
        got, original = shape(feature["geometry"]), shapely.make_valid(originals[code])
        assert got.is_valid and GlobalID.from_id(feature["id"]).type_name == "District"
        assert feature["properties"]["layer"] == "mtl-boroughs" and feature["properties"]["name"]
        hausdorff = mercator(got).hausdorff_distance(mercator(original))
        assert hausdorff <= tolerance * 1.01 + 0.05, (code, hausdorff)
        if zoom is not None:
            assert shapely.get_num_coordinates(got) < shapely.get_num_coordinates(original)
    if zoom == 11:
        coarse = sum(shapely.get_num_coordinates(shape(f["geometry"])) for f in features.values())
        fine = gql(DISTRICTS, {"layer": "mtl-boroughs", "zoom": 14})["data"]["mapLayer"]["features"]
        assert coarse < sum(shapely.get_num_coordinates(shape(f["geometry"])) for f in fine)


def test_a_district_layer_takes_the_spatial_filter_and_the_cap(gql):
    bbox = {"west": -73.60, "south": 45.50, "east": -73.56, "north": 45.53}
    box = shapely.box(bbox["west"], bbox["south"], bbox["east"], bbox["north"])
    boroughs = load_geojson(BOROUGHS)["features"]
    expected = {str(f["properties"]["CODEID"]) for f in boroughs if shape(f["geometry"]).intersects(box)}
    layer = gql(DISTRICTS, {"layer": "mtl-boroughs", "zoom": 12, "spatial": {"bbox": bbox}})["data"]["mapLayer"]
    assert {f["properties"]["code"] for f in layer["features"]} == expected and 1 < len(expected) < 19
    capped = gql(DISTRICTS, {"layer": "mtl-boroughs", "limit": 3})["data"]["mapLayer"]
    assert len(capped["features"]) == 3 and capped["truncated"] is True


def test_a_district_layer_refuses_what_does_not_apply(gql):
    assert codes(gql(DISTRICTS, {"layer": None}, expect_errors=True)) == ["BAD_INPUT"]
    assert codes(gql(DISTRICTS, {"layer": "no-such-layer"}, expect_errors=True)) == ["NOT_FOUND"]
    assert codes(gql(DISTRICTS, {"layer": "mtl-boroughs", "zoom": 23}, expect_errors=True)) == ["BAD_INPUT"]
    with_kinds = """{ mapLayer(of: DISTRICT, layer: "mtl-boroughs", kinds: [MEAL]) }"""
    assert codes(gql(with_kinds, expect_errors=True)) == ["BAD_INPUT"]
    offers_with_zoom = """{ mapLayer(of: OFFER, zoom: 12) }"""
    assert codes(gql(offers_with_zoom, expect_errors=True)) == ["BAD_INPUT"]
    clusters = """query($b: BBoxInput!) { clusters(of: DISTRICT, bbox: $b, zoom: 12) }"""
    assert codes(gql(clusters, {"b": BBOX}, expect_errors=True)) == ["BAD_INPUT"]
