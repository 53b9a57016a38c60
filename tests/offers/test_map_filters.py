"""Given a map layer or its clusters, when a filter is given that the layer does not have (a kind of
help for points of interest or projects, categories for projects, either for districts), then the
answer is BAD_INPUT naming the filter and the layers it applies to, never the layer unfiltered; and
every filter that applies still filters."""

import pytest

from tests.conftest import codes

pytestmark = pytest.mark.django_db
BBOX = {"west": -73.64, "south": 45.48, "east": -73.54, "north": 45.56}
MAP_LAYER = """query($of: MapLayerKind!, $kinds: [HelpKind!], $categories: [String!], $layer: String) {
  mapLayer(of: $of, spatial: {bbox: {west: -73.64, south: 45.48, east: -73.54, north: 45.56}},
           kinds: $kinds, categories: $categories, layer: $layer, limit: 5)
}"""
CLUSTERS = """query($b: BBoxInput!, $of: MapLayerKind!, $kinds: [HelpKind!], $categories: [String!]) {
  clusters(bbox: $b, zoom: 12, of: $of, kinds: $kinds, categories: $categories)
}"""
KINDS = ["MEAL"]
CATEGORIES = ["parc"]
# (layer, filter): the filters a layer does not have, and the layers the message names for each.
NOT_APPLYING = [
    ("POINT_OF_INTEREST", "kinds"),
    ("PROJECT", "kinds"),
    ("PROJECT", "categories"),
    ("DISTRICT", "kinds"),
    ("DISTRICT", "categories"),
]
APPLYING = [
    ("OFFER", "kinds"),
    ("OFFER", "categories"),
    ("NEED", "kinds"),
    ("NEED", "categories"),
    ("POINT_OF_INTEREST", "categories"),
]
TAKERS = {"kinds": "OFFER and NEED", "categories": "OFFER and NEED and POINT_OF_INTEREST"}
VALUES = {"kinds": KINDS, "categories": CATEGORIES}


def refused(body: dict) -> str:
    assert codes(body) == ["BAD_INPUT"], body
    assert body["data"] is None
    return body["errors"][0]["message"]


@pytest.mark.parametrize("of,name", NOT_APPLYING)
def test_a_map_layer_refuses_a_filter_it_does_not_have(gql, of, name):
    variables = {"of": of, name: VALUES[name], "layer": "mtl-boroughs" if of == "DISTRICT" else None}
    message = refused(gql(MAP_LAYER, variables, expect_errors=True))
    assert message == f"{name} does not apply to {of}: it filters {TAKERS[name]} only; leave it out"


@pytest.mark.parametrize("of,name", [case for case in NOT_APPLYING if case[0] != "DISTRICT"])
def test_clusters_refuse_a_filter_the_layer_does_not_have(gql, of, name):
    message = refused(gql(CLUSTERS, {"b": BBOX, "of": of, name: VALUES[name]}, expect_errors=True))
    assert message == f"{name} does not apply to {of}: it filters {TAKERS[name]} only; leave it out"


@pytest.mark.parametrize("of,name", APPLYING)
def test_the_filters_that_apply_are_taken(gql, of, name):
    assert gql(MAP_LAYER, {"of": of, name: VALUES[name]})["data"]["mapLayer"]["type"] == "FeatureCollection"
    assert gql(CLUSTERS, {"b": BBOX, "of": of, name: VALUES[name]})["data"]["clusters"]["type"] == "FeatureCollection"


def test_points_of_interest_are_filtered_by_category_not_by_kind(gql):
    every = gql(MAP_LAYER, {"of": "POINT_OF_INTEREST"})["data"]["mapLayer"]
    assert every["features"], "the viewport holds points of interest"
    category = every["features"][0]["properties"]["categories"][0]
    some = gql(MAP_LAYER, {"of": "POINT_OF_INTEREST", "categories": [category]})["data"]["mapLayer"]
    assert all(category in f["properties"]["categories"] for f in some["features"])
