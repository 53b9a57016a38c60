"""Generated hostile input (hypothesis) against the real schema and database: whatever a client
sends as geometry, coordinates, radius, viewport or page, the answer is data or an error with a
client code (never INTERNAL, never a 500), and nothing is written."""

import json
import math
import os

import pytest
from django.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from offers.models import Offer

pytestmark = pytest.mark.django_db
CLIENT_CODES = {"BAD_INPUT", "NOT_FOUND", "LIMIT_EXCEEDED"}
# 60 examples per test in every run; QUARTIER_FUZZ_EXAMPLES=5000 for a long one.
FUZZ = settings(
    max_examples=int(os.environ.get("QUARTIER_FUZZ_EXAMPLES", "60")),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)

numbers = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True),
    st.floats(min_value=-200, max_value=200),
    st.integers(min_value=-(10**20), max_value=10**20),
    st.sampled_from([0, -0.0, 90, -90, 180, -180, 1e308]),
)
json_values = st.recursive(
    st.one_of(st.none(), st.booleans(), numbers, st.text(max_size=5)),
    lambda children: st.one_of(
        st.lists(children, max_size=6), st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=40,
)
position = st.lists(numbers, min_size=0, max_size=4)
ring = st.lists(position, min_size=0, max_size=8)
geometries = st.one_of(
    json_values,
    st.fixed_dictionaries(
        {
            "type": st.sampled_from(["Polygon", "MultiPolygon", "Point", "LineString", "Circle"]),
            "coordinates": st.one_of(
                json_values, st.lists(ring, max_size=3), st.lists(st.lists(ring, max_size=2), max_size=2)
            ),
        }
    ),
    st.text(max_size=30),
)


def post(query: str, variables: dict) -> dict:
    body = json.dumps({"query": query, "variables": variables}, allow_nan=True)
    response = Client(HTTP_HOST="localhost").post("/graphql", body, content_type="application/json")
    assert response.status_code in (200, 400), response.status_code
    return response.json()


def assert_client_error_or_data(answer: dict) -> None:
    for error in answer.get("errors", []):
        assert error.get("extensions", {}).get("code") in CLIENT_CODES, error
    assert "Traceback" not in json.dumps(answer)


@FUZZ
@given(geometry=geometries)
def test_any_geometry_input(geometry):
    before = Offer.objects.count()
    answer = post(
        "query($g: GeoJSON) { offers(spatial: {withinGeometry: $g}, first: 3) { totalCount } }", {"g": geometry}
    )
    assert_client_error_or_data(answer)
    assert Offer.objects.count() == before


@FUZZ
@given(lon=numbers, lat=numbers, radius=numbers, first=st.integers(min_value=-5, max_value=10**6))
def test_any_point_radius_and_page(lon, lat, radius, first):
    variables = {"p": {"longitude": lon, "latitude": lat}, "r": radius, "n": first}
    query = """query($p: PointInput!, $r: Float!, $n: Int) {
      offers(spatial: {near: {point: $p, radiusMeters: $r}}, orderBy: DISTANCE, first: $n) {
        totalCount edges { node { id } }
      }
    }"""
    answer = post(query, variables)
    assert_client_error_or_data(answer)
    valid = all(isinstance(v, int | float) and math.isfinite(v) for v in (lon, lat, radius))
    if valid and abs(lon) <= 180 and abs(lat) <= 90 and 0 < radius <= 50_000 and 0 <= first <= 500:
        assert "errors" not in answer, answer


@FUZZ
@given(box=st.lists(numbers, min_size=4, max_size=4), cell=numbers)
def test_any_viewport_and_heat_map(box, cell):
    bbox = dict(zip(["west", "south", "east", "north"], box, strict=True))
    assert_client_error_or_data(
        post("query($b: BBoxInput!) { offers(spatial: {bbox: $b}) { totalCount } }", {"b": bbox})
    )
    answer = post(
        "query($b: BBoxInput!, $c: Float!) { activityGrid(bbox: $b, cellMeters: $c) }", {"b": bbox, "c": cell}
    )
    assert_client_error_or_data(answer)


@FUZZ
@given(value=json_values)
def test_any_feature_collection_upload_by_an_anonymous_caller_is_refused(value):
    answer = post(
        """mutation($f: JSON) { importBoundaryLayer(input: {slug: "x", name: "x", featureCollection: $f}) {
                       districts } }""",
        {"f": value},
    )
    assert [e["extensions"]["code"] for e in answer["errors"]] in (["UNAUTHENTICATED"], ["BAD_INPUT"])
