"""Generated hostile uploads (hypothesis) by a partner's member, who gets past authentication: whatever
feature collection arrives, the answer is a layer or an error with a client code (never INTERNAL,
never a 500), a refused upload writes nothing, and an accepted one holds no empty district."""

import json
import os

import pytest
from django.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from strawberry.relay import GlobalID

from places.models import District
from tests.places.test_import_hostile import state

pytestmark = pytest.mark.django_db
CLIENT_CODES = {"BAD_INPUT", "LIMIT_EXCEEDED"}
FUZZ = settings(
    max_examples=int(os.environ.get("QUARTIER_FUZZ_EXAMPLES", "60")),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
IMPORT = """mutation($input: BoundaryLayerImportInput!) { importBoundaryLayer(input: $input) { districts } }"""


def mostly(usual, rare):
    """`usual` three times in four, `rare` otherwise."""
    return st.sampled_from([True, True, True, False]).flatmap(lambda pick: usual if pick else rare)


numbers = st.one_of(
    st.floats(min_value=-200, max_value=200, allow_nan=False),
    st.sampled_from([0, -0.0, 90, -90, 180, -180, 1e308]),
    st.integers(min_value=-(10**20), max_value=10**20),
)
leaves = st.one_of(st.none(), st.booleans(), numbers, st.text(max_size=6))
json_values = st.recursive(
    leaves,
    lambda children: st.one_of(
        st.lists(children, max_size=5), st.dictionaries(st.text(max_size=6), children, max_size=3)
    ),
    max_leaves=30,
)
# Mostly positions on a small grid over the Plateau, so that rings are often polygons, sometimes
# bow-ties, lines or repeated points; sometimes anything.
near = st.tuples(st.integers(0, 3), st.integers(0, 3)).map(lambda p: [-73.58 + p[0] / 100, 45.51 + p[1] / 100])
position = mostly(near, st.one_of(st.lists(numbers, min_size=2, max_size=2), st.lists(numbers, max_size=4)))
ring = mostly(
    st.lists(near, min_size=3, max_size=6).map(lambda r: [*r, r[0]]),
    st.one_of(st.lists(position, min_size=3, max_size=6).map(lambda r: [*r, r[0]]), st.lists(position, max_size=6)),
)
polygon = st.lists(ring, min_size=1, max_size=2)
polygonal = st.one_of(
    st.fixed_dictionaries({"type": st.just("Polygon"), "coordinates": polygon}),
    st.fixed_dictionaries({"type": st.just("MultiPolygon"), "coordinates": st.lists(polygon, max_size=3)}),
)
others = st.one_of(
    st.fixed_dictionaries(
        {"type": st.sampled_from(["Point", "GeometryCollection", "Blob"]), "coordinates": json_values}
    ),
    st.none(),
    json_values,
)
codes = mostly(st.integers(0, 5), st.one_of(st.text(max_size=3), leaves))
feature = st.fixed_dictionaries(
    {
        "type": st.just("Feature"),
        "properties": mostly(
            st.fixed_dictionaries({"code": codes, "nom": leaves}, optional={"x": json_values}),
            st.one_of(st.fixed_dictionaries({"code": codes}), st.none(), json_values),
        ),
        "geometry": mostly(polygonal, others),
    }
)


crs = st.one_of(
    st.fixed_dictionaries(
        {"type": st.just("name"), "properties": st.fixed_dictionaries({"name": st.text(max_size=20)})}
    ),
    st.sampled_from(["EPSG:4326", "EPSG:2950", "EPSG:5703", "IAU_2015:49900", "EPSG:32188"]).map(
        lambda name: {"type": "name", "properties": {"name": name}}
    ),
    json_values,
)
collections = st.fixed_dictionaries(
    {
        "type": st.just("FeatureCollection"),
        "features": mostly(st.lists(feature, max_size=4), st.lists(st.one_of(feature, json_values), max_size=4)),
    }
).flatmap(lambda document: mostly(st.just(document), crs.map(lambda member: {**document, "crs": member})))


@FUZZ
@given(collection=collections)
def test_any_upload_by_a_partner_is_a_layer_or_a_client_error(partner, collection):
    before = state()
    variables = {
        "input": {
            "slug": "zones",
            "name": "Zones",
            "ownerId": str(GlobalID("Organisation", str(partner["org"].pk))),
            "featureCollection": collection,
            "codeProperty": "code",
            "nameProperty": "nom",
        }
    }
    response = Client(HTTP_HOST="localhost").post(
        "/graphql",
        json.dumps({"query": IMPORT, "variables": variables}),
        content_type="application/json",
        headers={"Authorization": f"Bearer {partner['member']}"},
    )
    assert response.status_code == 200, response.content
    body = response.json()
    if "errors" in body:
        assert {e["extensions"]["code"] for e in body["errors"]} <= CLIENT_CODES, body
        assert state() == before
    else:
        assert not District.objects.filter(layer__slug="zones", area_m2__lte=0).exists()
