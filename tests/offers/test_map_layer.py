"""Given a map viewport, when the frontend asks for a whole layer at once, then PostGIS builds the
FeatureCollection: exactly the offers in the viewport, with their public places and properties,
capped at `limit` with `truncated` telling so."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from strawberry.relay import GlobalID

from offers.models import Offer
from tests.conftest import codes

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


@pytest.mark.parametrize("zoom", [10, 13])
def test_clusters_count_every_offer_once_around_their_centroid(gql, zoom):
    from collections import defaultdict

    body = gql(
        """query($bbox: BBoxInput!, $zoom: Int!) { clusters(bbox: $bbox, zoom: $zoom) }""", {"bbox": BBOX, "zoom": zoom}
    )
    features = body["data"]["clusters"]["features"]
    cell = 360 / 2**zoom / 4
    groups = defaultdict(list)
    for offer in Offer.objects.only("public_location"):
        x, y = offer.public_location.x, offer.public_location.y
        if BBOX["west"] <= x <= BBOX["east"] and BBOX["south"] <= y <= BBOX["north"]:
            groups[(round(x / cell), round(y / cell))].append((x, y))
    expected = sorted(
        (len(points), sum(p[0] for p in points) / len(points), sum(p[1] for p in points) / len(points))
        for points in groups.values()
    )
    got = sorted((f["properties"]["count"], *f["geometry"]["coordinates"]) for f in features)
    assert len(got) == len(expected) and sum(n for n, _, _ in got) > 300
    for (n, x, y), (m, ex, ey) in zip(got, expected, strict=True):
        assert n == m and x == pytest.approx(ex, abs=1e-6) and y == pytest.approx(ey, abs=1e-6)
    assert (len(features) < 40) == (zoom == 10)
