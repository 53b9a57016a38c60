"""Given an upload (or a file for the command line) whose polygon crosses the antimeridian in one
edge, or whose district codes and names show nothing or are objects and arrays, when it is imported,
then it is refused with BAD_INPUT naming the feature and what to do, and nothing is written; codes
that are numbers (an INSEE code) and polygons that stay on one side of ±180 are imported as before."""

import json

import pytest
from django.contrib.gis.geos import Point
from django.core.management import CommandError, call_command

from places.models import District
from tests.conftest import codes
from tests.places.test_import_validation import (
    IMPORT,
    PLATEAU_A,
    PLATEAU_B,
    collection,
    feature,
    snapshot,
    square,
    upload,
)

pytestmark = pytest.mark.django_db
# A 2-degree square across the antimeridian, written as one polygon: its edges span 358 degrees.
ACROSS = [[[179, -10], [-179, -10], [-179, 10], [179, 10], [179, -10]]]
# The same square split at the antimeridian, as RFC 7946 section 3.1.9 asks.
SPLIT = [square(179, -10, 180, 10), square(-180, -10, -179, 10)]


def refused(gql, partner, features: dict) -> str:
    before = snapshot()
    body = gql(IMPORT, upload(partner, features), token=partner["member"], expect_errors=True)
    assert codes(body) == ["BAD_INPUT"], body
    assert snapshot() == before
    return body["errors"][0]["message"]


def test_a_polygon_with_an_edge_across_the_antimeridian_is_refused(gql, partner):
    message = refused(gql, partner, collection(PLATEAU_A, feature("X", ACROSS)))
    assert message.startswith("features[1] (code 'X'): its edge from [179.0, -10.0] to [-179.0, -10.0] spans 358")
    assert "split the geometry at the antimeridian" in message and "RFC 7946 section 3.1.9" in message


def test_a_multipolygon_with_one_part_across_the_antimeridian_is_refused(gql, partner):
    parts = [square(170, -10, 171, 10), ACROSS]
    message = refused(gql, partner, collection(feature("X", parts, "MultiPolygon")))
    assert "features[0] (code 'X')" in message and "antimeridian" in message


def test_the_same_area_split_at_the_antimeridian_is_imported(gql, partner):
    body = gql(IMPORT, upload(partner, collection(feature("X", SPLIT, "MultiPolygon"))), token=partner["member"])
    assert body["data"]["importBoundaryLayer"]["districts"] == 1
    district = District.objects.get(layer__slug="zones", code="X")
    assert district.area_m2 == pytest.approx(2 * 111_000 * 20 * 110_600, rel=0.02)
    assert district.geometry.contains(Point(179.5, 0, srid=4326))
    assert not district.geometry.contains(Point(0, 0, srid=4326))


def test_the_command_refuses_it_too(tmp_path):
    path = tmp_path / "across.geojson"
    path.write_text(json.dumps(collection(feature("X", ACROSS))), encoding="utf-8")
    before = snapshot()
    with pytest.raises(CommandError) as error:
        call_command("import_boundaries", str(path), layer="cli-zones", code_field="code", name_field="nom")
    assert "features[0] (code 'X')" in str(error.value) and "antimeridian" in str(error.value)
    assert snapshot() == before


@pytest.mark.parametrize(
    "code",
    ["\u200b", "\u3000", "\u200b\u200d\ufeff", "\x01", " \u2800 ", "\u3164"],
)
def test_a_code_that_shows_nothing_is_refused(gql, partner, code):
    message = refused(gql, partner, collection(PLATEAU_A, feature(code, square(0, 0, 1, 1))))
    assert message.startswith("features[1]: it has no 'code', or one of only spaces or invisible characters")


@pytest.mark.parametrize("name", ["\u3000", "\u200b", "  ", "\u2800", "\u00ad\u200e"])
def test_a_name_that_shows_nothing_is_refused(gql, partner, name):
    message = refused(gql, partner, collection(PLATEAU_A, feature("B", square(0, 0, 1, 1), nom=name)))
    assert message.startswith("features[1] (code 'B'): its 'nom' is only spaces or invisible characters")


STRUCTURED = pytest.mark.parametrize(
    "value",
    [{"a": 1}, [1, 2], ["a", "b"], [1.5], {}, [], [{"a": 1}], ["a", 1]],
    ids=["object", "integers", "texts", "reals", "empty object", "empty array", "objects", "mixed"],
)


@STRUCTURED
@pytest.mark.parametrize("field", ["code", "nom"])
def test_a_code_or_name_that_is_an_object_or_an_array_is_refused(gql, partner, field, value):
    odd = feature("B", square(0, 0, 1, 1))
    odd["properties"][field] = value
    message = refused(gql, partner, collection(odd, PLATEAU_A))
    assert message.startswith(f"features[0]: its '{field}' is an object or an array"), message
    assert ("or a number" in message) == (field == "code")


@STRUCTURED
def test_an_object_or_an_array_after_texts_is_refused_too(gql, partner, value):
    """GDAL reads the property as the first values' type: an object then comes as its JSON text, and
    an array of texts turns the texts before it into lists of one. Either way, nothing is written."""
    odd = feature("B", square(0, 0, 1, 1))
    odd["properties"]["code"] = value
    message = refused(gql, partner, collection(PLATEAU_A, odd))
    expected = "features[0]" if value == ["a", "b"] else "features[1]"
    assert message.startswith(f"{expected}: its 'code' is an object or an array"), message


def test_numbers_texts_and_a_missing_or_empty_name_are_imported(gql, partner):
    """An INSEE code read as a number, a code beside texts in the same property, and a name left
    empty or out (the code stands for it)."""
    features = collection(
        feature(59350, square(3.0, 50.6, 3.1, 50.7), nom="Lille"),
        feature("B", square(-73.58, 45.51, -73.57, 45.52), nom=""),
        feature(59009, square(3.1, 50.6, 3.2, 50.7)),
    )
    del features["features"][2]["properties"]["nom"]
    body = gql(IMPORT, upload(partner, features), token=partner["member"])
    assert body["data"]["importBoundaryLayer"]["districts"] == 3
    stored = dict(District.objects.filter(layer__slug="zones").values_list("code", "name"))
    assert stored == {"59350": "Lille", "B": "B", "59009": "59009"}


def test_codes_that_are_numbers_stay_accepted_from_the_command_line(tmp_path):
    path = tmp_path / "insee.geojson"
    features = collection(feature(59350, square(3.0, 50.6, 3.1, 50.7)), feature(59009, square(3.1, 50.6, 3.2, 50.7)))
    path.write_text(json.dumps(features), encoding="utf-8")
    call_command("import_boundaries", str(path), layer="cli-insee", code_field="code", name_field="nom")
    assert set(District.objects.filter(layer__slug="cli-insee").values_list("code", flat=True)) == {"59350", "59009"}


def test_the_plateau_squares_still_import(gql, partner):
    body = gql(IMPORT, upload(partner, collection(PLATEAU_A, PLATEAU_B)), token=partner["member"])
    assert body["data"]["importBoundaryLayer"]["districts"] == 2
