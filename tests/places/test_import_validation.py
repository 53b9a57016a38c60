"""Given a partner's upload (or a file for the command line) that cannot be a boundary layer, when it
is imported, then it is refused with BAD_INPUT naming the field or the feature, never UNAVAILABLE or
INTERNAL, nothing is written, and no later map of the layer breaks on what it held."""

import json

import pytest
from django.core.management import CommandError, call_command
from strawberry.relay import GlobalID

from places.models import BoundaryLayer, District, DistrictPart
from tests.conftest import codes

pytestmark = pytest.mark.django_db

IMPORT = """mutation($input: BoundaryLayerImportInput!) {
  importBoundaryLayer(input: $input) { districts layer { slug name } }
}"""


def square(west: float, south: float, east: float, north: float) -> list:
    return [[[west, south], [east, south], [east, north], [west, north], [west, south]]]


def feature(code, coordinates=None, geometry_type="Polygon", **properties) -> dict:
    geometry = None if coordinates is None else {"type": geometry_type, "coordinates": coordinates}
    props = {"code": code, "nom": f"Zone {code}", **properties} if code is not None else properties
    return {"type": "Feature", "properties": props, "geometry": geometry}


PLATEAU_A = feature("A", square(-73.59, 45.51, -73.58, 45.52))
PLATEAU_B = feature("B", square(-73.58, 45.51, -73.57, 45.52))


def collection(*features: dict) -> dict:
    return {"type": "FeatureCollection", "features": list(features)}


def upload(partner, features: dict, **fields) -> dict:
    return {
        "input": {
            "slug": "zones",
            "name": "Zones",
            "ownerId": str(GlobalID("Organisation", str(partner["org"].pk))),
            "featureCollection": features,
            "codeProperty": "code",
            "nameProperty": "nom",
            **fields,
        }
    }


def snapshot() -> tuple:
    """What an import could write."""
    return (
        sorted(BoundaryLayer.objects.values_list("id", "slug", "version", "is_current", "name")),
        District.objects.count(),
        DistrictPart.objects.count(),
    )


@pytest.mark.parametrize(
    "features,expected",
    [
        (collection(PLATEAU_A, feature("B")), ["features[1]", "'B'", "no geometry"]),
        (collection(PLATEAU_A, feature("B", square(200, 95, 201, 96))), ["features[1]", "longitude 200..201"]),
        (collection(PLATEAU_A, feature("B", square(-73.58, 95, -73.57, 96))), ["features[1]", "latitude 95..96"]),
        (collection(feature("W", square(-180, -90, 180, 90))), ["features[0]", "'W'", "opposite points"]),
        (
            collection(feature("E", [[[0, 0], [180, 0], [90, 10], [0, 0]]])),
            ["features[0]", "[0.0, 0.0] to [180.0, 0.0]"],
        ),
        (collection(PLATEAU_A, feature(None, square(0, 0, 1, 1))), ["features[1]", "no 'code'"]),
        (collection(PLATEAU_A, feature("  ", square(0, 0, 1, 1))), ["features[1]", "no 'code'"]),
        (collection(feature("C" * 81, square(0, 0, 1, 1))), ["features[0]", "code", "80"]),
        (collection(feature("N", square(0, 0, 1, 1), nom="n" * 201)), ["features[0]", "name", "200"]),
        (collection(PLATEAU_A, feature("P", [-73.58, 45.51], "Point")), ["features[1]", "'P'", "found a Point"]),
    ],
)
def test_a_feature_that_cannot_be_a_district_is_named_and_nothing_is_written(gql, partner, features, expected):
    before = snapshot()
    body = gql(IMPORT, upload(partner, features), token=partner["member"], expect_errors=True)
    assert codes(body) == ["BAD_INPUT"], body
    message = body["errors"][0]["message"]
    assert all(part in message for part in expected), message
    assert snapshot() == before
    assert not BoundaryLayer.objects.filter(slug="zones").exists()


def test_an_out_of_range_feature_cannot_break_the_map_of_a_layer(gql, partner):
    """The repro of the report: a second upload of a public layer with a feature at lon 200 is
    refused, and the layer's map still works for everyone."""
    assert gql(IMPORT, upload(partner, collection(PLATEAU_A, PLATEAU_B)), token=partner["member"])
    before = snapshot()
    poisoned = collection(PLATEAU_A, feature("B", square(200, 95, 201, 96)))
    body = gql(IMPORT, upload(partner, poisoned), token=partner["member"], expect_errors=True)
    assert codes(body) == ["BAD_INPUT"] and snapshot() == before
    layer = gql('{ mapLayer(of: DISTRICT, layer: "zones", zoom: 10) }')["data"]["mapLayer"]
    assert len(layer["features"]) == 2


@pytest.mark.parametrize(
    "fields,expected",
    [
        ({"slug": ""}, "slug"),
        ({"slug": "  "}, "slug"),
        ({"slug": "x/../y z"}, "slug"),
        ({"slug": "zones\x00"}, "slug"),
        ({"slug": "z" * 81}, "at most 80 characters"),
        ({"name": "n" * 201}, "at most 200 characters"),
        ({"name": "Zones\x00"}, "name"),
        ({"attribution": "a" * 501}, "at most 500 characters"),
        ({"licence": "l" * 201}, "at most 200 characters"),
    ],
)
def test_a_layer_identity_that_cannot_be_stored_is_refused(gql, partner, fields, expected):
    before = snapshot()
    body = gql(IMPORT, upload(partner, collection(PLATEAU_A), **fields), token=partner["member"], expect_errors=True)
    assert codes(body) == ["BAD_INPUT"], body
    assert expected in body["errors"][0]["message"]
    assert snapshot() == before


def test_a_slug_of_80_characters_and_a_name_of_spaces_are_fine(gql, partner):
    slug = "z" * 80
    body = gql(IMPORT, upload(partner, collection(PLATEAU_A), slug=slug, name="   "), token=partner["member"])
    assert body["data"]["importBoundaryLayer"] == {"districts": 1, "layer": {"slug": slug, "name": slug}}


def test_another_partners_members_only_layer_is_not_a_parent(gql, partner):
    """A parent is looked up among the layers the caller may see: another partner's members-only
    layer answers exactly as a layer that does not exist."""
    rival_owner = str(GlobalID("Organisation", str(partner["rival"].pk)))
    secret = upload(partner, collection(PLATEAU_A), slug="rival-secret", ownerId=rival_owner, visibility="MEMBERS")
    assert gql(IMPORT, secret, token=partner["rival_member"])
    before = snapshot()
    answers = []
    for parent in ("rival-secret", "no-such-layer"):
        body = gql(
            IMPORT,
            upload(partner, collection(PLATEAU_A), parentLayer=parent),
            token=partner["member"],
            expect_errors=True,
        )
        assert codes(body) == ["NOT_FOUND"], body
        answers.append(body["errors"][0]["message"].replace(parent, "<slug>"))
    assert answers[0] == answers[1]
    assert snapshot() == before
    # The rival's own member may tie a layer to it.
    mine = upload(partner, collection(PLATEAU_A), slug="rival-zones", ownerId=rival_owner, parentLayer="rival-secret")
    assert gql(IMPORT, mine, token=partner["rival_member"])["data"]["importBoundaryLayer"]["districts"] == 1


def test_a_public_layer_is_still_a_parent(gql, partner):
    body = gql(IMPORT, upload(partner, collection(PLATEAU_A), parentLayer="mtl-boroughs"), token=partner["member"])
    assert body["data"]["importBoundaryLayer"]["districts"] == 1
    assert District.objects.get(layer__slug="zones").parent.layer.slug == "mtl-boroughs"


@pytest.mark.parametrize(
    "features,slug,expected",
    [
        (collection(PLATEAU_A, feature("B")), "cli-zones", "features[1] (code 'B'): it has no geometry"),
        (collection(feature("B", square(200, 95, 201, 96))), "cli-zones", "outside longitude"),
        (collection(feature("W", square(-180, -90, 180, 90))), "cli-zones", "opposite points"),
        (collection(PLATEAU_A, feature(None, square(0, 0, 1, 1))), "cli-zones", "no 'code'"),
        (collection(PLATEAU_A), "x/../y z", "slug"),
        (collection(PLATEAU_A), "z" * 81, "at most 80 characters"),
    ],
)
def test_the_command_refuses_the_same_files(tmp_path, features, slug, expected):
    path = tmp_path / "zones.geojson"
    path.write_text(json.dumps(features), encoding="utf-8")
    before = snapshot()
    with pytest.raises(CommandError) as refused:
        call_command("import_boundaries", str(path), layer=slug, code_field="code", name_field="nom")
    assert expected in str(refused.value)
    assert snapshot() == before
