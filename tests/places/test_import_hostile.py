"""Given a layer already imported and an upload (or a file for the command line) that is hostile or
broken, when it is imported, then it is refused with BAD_INPUT (or LIMIT_EXCEEDED) naming the
feature or the field, never INTERNAL, never with a path of the server, and the layer and its
districts are as they were; polygons that are invalid but enclose an area are still repaired."""

import io
import json
import tempfile
import zipfile

import pytest
import shapely
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.test import Client
from pyproj import Geod
from strawberry.relay import GlobalID

from places.models import BoundaryLayer, District, DistrictPart
from tests.conftest import codes
from tests.places.test_import_validation import (
    IMPORT,
    PLATEAU_A,
    PLATEAU_B,
    collection,
    feature,
    square,
    upload,
)

pytestmark = pytest.mark.django_db
GEOD = Geod(ellps="WGS84")
REPAIRED = """mutation($input: BoundaryLayerImportInput!) {
  importBoundaryLayer(input: $input) { districts repaired } }"""

# Each polygon encloses no area: imported, ST_MakeValid turned it into a line or a point, and the
# district into an empty MultiPolygon of 0 m².
DEGENERATE = {
    "points on a line": [[[-73.58, 45.51], [-73.57, 45.51], [-73.56, 45.51], [-73.58, 45.51]]],
    "points on a slanted line": [[[-73.58, 45.51], [-73.57, 45.52], [-73.56, 45.53], [-73.58, 45.51]]],
    "one point repeated": [[[-73.58, 45.51]] * 4],
    "a ring of 3 positions": [[[-73.58, 45.51], [-73.57, 45.51], [-73.58, 45.51]]],
    "a ring of 2 positions": [[[-73.58, 45.51], [-73.57, 45.51]]],
    "a ring that does not close": [[[-73.58, 45.51], [-73.57, 45.51], [-73.57, 45.52], [-73.58, 45.52]]],
    "a spike and nothing else": [[[-73.58, 45.51], [-73.57, 45.51], [-73.58, 45.51], [-73.58, 45.52], [-73.58, 45.51]]],
}
DEGENERATE_MESSAGES = {
    "a ring of 3 positions": "ring of 3 positions",
    "a ring of 2 positions": "ring of 2 positions",
    "a ring that does not close": "does not close",
}


def zones_layer(gql, partner) -> None:
    """The partner's layer `zones`, as a first upload made it."""
    assert gql(IMPORT, upload(partner, collection(PLATEAU_A, PLATEAU_B)), token=partner["member"])


def state() -> tuple:
    """Every layer, and every district of the layers an import here could touch, with its geometry."""
    return (
        sorted(BoundaryLayer.objects.values_list("id", "slug", "version", "is_current", "name", "updated_at")),
        sorted(
            (d.layer_id, d.code, d.name, d.geometry.wkt, d.area_m2)
            for d in District.objects.filter(layer__slug__in=["zones", "cli-zones"])
        ),
        District.objects.count(),
        DistrictPart.objects.count(),
    )


def refused(body: dict, code: str = "BAD_INPUT") -> str:
    assert codes(body) == [code], body
    return body["errors"][0]["message"]


@pytest.mark.parametrize("case", list(DEGENERATE))
def test_a_polygon_that_encloses_no_area_is_refused_and_the_layer_stays(gql, partner, case):
    zones_layer(gql, partner)
    before = state()
    poisoned = collection(PLATEAU_A, feature("B", DEGENERATE[case]))
    message = refused(gql(IMPORT, upload(partner, poisoned), token=partner["member"], expect_errors=True))
    assert "features[1] (code 'B')" in message and DEGENERATE_MESSAGES.get(case, "encloses no area") in message
    assert state() == before


def test_a_multipolygon_whose_parts_all_enclose_no_area_is_refused(gql, partner):
    zones_layer(gql, partner)
    before = state()
    parts = [DEGENERATE["points on a line"], DEGENERATE["one point repeated"]]
    poisoned = collection(PLATEAU_A, feature("B", parts, "MultiPolygon"))
    message = refused(gql(IMPORT, upload(partner, poisoned), token=partner["member"], expect_errors=True))
    assert "features[1] (code 'B')" in message and "none of its polygons encloses an area" in message
    assert state() == before


def test_what_postgis_repairs_to_nothing_is_refused_even_if_the_python_check_missed_it(gql, partner, monkeypatch):
    """PostGIS' GEOS has the last word: a district that ST_MakeValid leaves without area is refused
    after the repair, and the import rolled back."""
    monkeypatch.setattr("places.imports.polygon_problem", lambda geometry: None)
    zones_layer(gql, partner)
    before = state()
    poisoned = collection(PLATEAU_A, feature("B", DEGENERATE["points on a line"]))
    message = refused(gql(IMPORT, upload(partner, poisoned), token=partner["member"], expect_errors=True))
    assert "features[1] (code 'B'): its polygons enclose no area once repaired" in message
    assert state() == before


@pytest.mark.parametrize("case", ["points on a line", "a ring of 3 positions", "a ring that does not close"])
def test_the_command_refuses_a_polygon_that_encloses_no_area_and_the_layer_stays(tmp_path, case):
    good, bad = tmp_path / "good.geojson", tmp_path / "bad.geojson"
    good.write_text(json.dumps(collection(PLATEAU_A, PLATEAU_B)), encoding="utf-8")
    renamed = feature("A", PLATEAU_A["geometry"]["coordinates"], nom="Renamed")  # an update a partial write shows
    bad.write_text(json.dumps(collection(renamed, feature("B", DEGENERATE[case]))), encoding="utf-8")
    call_command("import_boundaries", str(good), layer="cli-zones", code_field="code", name_field="nom")
    before = state()
    with pytest.raises(CommandError) as error:
        call_command("import_boundaries", str(bad), layer="cli-zones", code_field="code", name_field="nom")
    assert "features[1] (code 'B')" in str(error.value)
    assert DEGENERATE_MESSAGES.get(case, "encloses no area") in str(error.value)
    assert state() == before


@pytest.mark.parametrize(
    "coordinates,geometry_type",
    [
        ([[[-73.58, 45.51], [-73.57, 45.52], [-73.57, 45.51], [-73.58, 45.52], [-73.58, 45.51]]], "Polygon"),  # bow-tie
        (  # a square with a spike
            [[[-73.58, 45.51], [-73.57, 45.51], [-73.57, 45.52], [-73.58, 45.52], [-73.58, 45.51], [-73.59, 45.51],
              [-73.58, 45.51]]],
            "Polygon",
        ),
        (  # a square and a part reduced to a line, as Saint-Henri in Montreal's quartiers sociologiques
            [square(-73.58, 45.51, -73.57, 45.52), DEGENERATE["points on a line"]],
            "MultiPolygon",
        ),
    ],
)  # fmt: skip
def test_invalid_polygons_that_enclose_an_area_are_still_repaired(gql, partner, coordinates, geometry_type):
    body = gql(REPAIRED, upload(partner, collection(feature("R", coordinates, geometry_type))), token=partner["member"])
    assert body["data"]["importBoundaryLayer"] == {"districts": 1, "repaired": 1}
    district = District.objects.get(layer__slug="zones", code="R")
    assert district.geometry.valid and not district.geometry.empty
    kept = shapely.make_valid(shapely.geometry.shape({"type": geometry_type, "coordinates": coordinates}))
    polygons = [p for p in shapely.get_parts(kept) if p.geom_type in ("Polygon", "MultiPolygon")]
    assert district.area_m2 == pytest.approx(sum(abs(GEOD.geometry_area_perimeter(p)[0]) for p in polygons), rel=1e-6)


def multipart(partner, name: str, content: bytes, **fields) -> dict:
    """Upload `content` as the file `name` through the GraphQL multipart spec."""
    variables = {
        "input": {
            "slug": "zones",
            "name": "Zones",
            "file": None,
            "ownerId": str(GlobalID("Organisation", str(partner["org"].pk))),
            "codeProperty": "code",
            "nameProperty": "nom",
            **fields,
        }
    }
    response = Client(HTTP_HOST="localhost").post(
        "/graphql",
        {
            "operations": json.dumps({"query": IMPORT, "variables": variables}),
            "map": json.dumps({"0": ["variables.input.file"]}),
            "0": SimpleUploadedFile(name, content),
        },
        headers={"Authorization": f"Bearer {partner['member']}"},
    )
    assert response.status_code == 200, response.content
    return response.json()


def zipped(files: dict[str, bytes | str]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in files.items():
            archive.writestr(name, content)
    return buffer.getvalue()


GOOD_GEOJSON = json.dumps(collection(PLATEAU_A))


@pytest.mark.parametrize(
    "name,content,expected",
    [
        ("zones.geojson", b"", "file is empty"),
        ("zones.zip", b"", "file is empty"),
        ("zones.zip", bytes(range(256)) * 8, "a .zip must hold one Shapefile"),
        ("zones.zip", zipped({}), "a .zip must hold one Shapefile"),
        ("zones.zip", zipped({"zones.shp": bytes(100)}), "a .zip must hold one Shapefile"),
        ("zones.zip", zipped({"readme.txt": "hello"}), "a .zip must hold one Shapefile"),
        ("zones.zip", zipped({"a.geojson": GOOD_GEOJSON, "b.geojson": GOOD_GEOJSON}), "a .zip must hold one"),
        ("zones.gpkg", bytes(range(256)) * 8, "it is not a GeoPackage"),
        ("zones.geojson", b"{not json", "file is not valid JSON"),
        ("zones.json", b"[1, 2, 3]", "file: it must be a GeoJSON FeatureCollection"),
        ("zones.geojson", b"{}", "file: it must be a GeoJSON FeatureCollection"),
    ],
)
def test_an_unreadable_upload_says_what_is_wrong_without_the_servers_paths(gql, partner, name, content, expected):
    zones_layer(gql, partner)
    before = state()
    message = refused(multipart(partner, name, content))
    assert expected in message, message
    assert tempfile.gettempdir() not in message and "quartier-import" not in message and "vsizip" not in message
    assert state() == before


def test_the_command_names_the_file_it_was_given(tmp_path):
    path = tmp_path / "zones.gpkg"
    path.write_bytes(bytes(range(256)) * 8)
    with pytest.raises(CommandError, match="zones.gpkg cannot be read as geodata: it is not a GeoPackage"):
        call_command("import_boundaries", str(path), layer="cli-zones")


def test_a_zip_bomb_is_refused_before_gdal_inflates_it(gql, partner, settings):
    settings.QUARTIER = {**settings.QUARTIER, "IMPORT_MAX_BYTES": 100_000}
    zones_layer(gql, partner)
    before = state()
    bomb = zipped({"zones.geojson": GOOD_GEOJSON + " " * 2_000_000})  # ~2 kB zipped, 2 MB unzipped
    assert len(bomb) < 100_000
    assert "unzips to" in refused(multipart(partner, "zones.zip", bomb), "LIMIT_EXCEEDED")
    assert state() == before


NAMED = {"type": "name", "properties": {"name": "EPSG:999999"}}


@pytest.mark.parametrize(
    "document,expected",
    [
        (collection(), "featureCollection holds no features"),
        ({"type": "FeatureCollection"}, "`features` must be a list of Feature objects"),
        ({"type": "FeatureCollection", "features": None}, "`features` must be a list of Feature objects"),
        ({"type": "FeatureCollection", "features": [PLATEAU_A, 1, "x", None]}, "features[1] is not a Feature object"),
        (collection(PLATEAU_A, {"type": "Feature", "properties": {}, "geometry": "POLYGON"}), "features[1]: its geom"),
        (collection(PLATEAU_A, {"type": "Feature", "properties": [1], "geometry": None}), "features[1]: its prop"),
        (collection(PLATEAU_A, feature("B\x00C", square(0, 0, 1, 1))), "features[1]: its property 'code'"),
        (collection(feature("C" * 100_000, square(0, 0, 1, 1))), "features[0]: code: Ensure"),
        ({**collection(PLATEAU_A), "crs": NAMED}, "crs member names 'EPSG:999999', which is not a CRS GDAL knows"),
        ({**collection(PLATEAU_A), "crs": "WGS84"}, "its crs member is not a named CRS"),
        ({**collection(PLATEAU_A), "crs": {"type": "link", "properties": {"href": "/etc/passwd"}}}, "not a named CRS"),
        (
            {**collection(PLATEAU_A), "crs": {"type": "name", "properties": {"name": 'LOCAL_CS["x"]'}}},
            "not an authority and code",
        ),
        (
            {**collection(PLATEAU_A), "crs": {"type": "name", "properties": {"name": "IAU_2015:49900"}}},
            "(Mars (2015) - Sphere / Ocentric) cannot be converted to WGS84",
        ),
    ],
)
def test_a_hostile_feature_collection_is_refused_and_the_layer_stays(gql, partner, document, expected):
    zones_layer(gql, partner)
    before = state()
    message = refused(gql(IMPORT, upload(partner, document), token=partner["member"], expect_errors=True))
    assert expected in message, message
    assert state() == before


@pytest.mark.parametrize("crs", ["EPSG:5703", "EPSG:4978"])  # heights in metres; X, Y, Z from the Earth's centre
def test_a_crs_that_is_not_on_a_map_is_refused(gql, partner, crs):
    zones_layer(gql, partner)
    before = state()
    body = gql(IMPORT, upload(partner, collection(PLATEAU_A), crs=crs), token=partner["member"], expect_errors=True)
    assert f"{crs} is neither longitude/latitude nor a map projection" in refused(body)
    assert state() == before


def test_the_command_refuses_a_crs_it_cannot_place(tmp_path):
    local = {**collection(PLATEAU_A), "crs": {"type": "name", "properties": {"name": 'LOCAL_CS["x"]'}}}
    path = tmp_path / "zones.geojson"
    path.write_text(json.dumps(local), encoding="utf-8")
    before = state()
    with pytest.raises(CommandError, match="the file's CRS .* is neither longitude/latitude nor a map projection"):
        call_command("import_boundaries", str(path), layer="cli-zones", code_field="code", name_field="nom")
    with pytest.raises(CommandError, match="EPSG:999999 is not a CRS GDAL knows"):
        call_command("import_boundaries", str(path), layer="cli-zones", code_field="code", srid=999999)
    assert state() == before


def test_a_named_crs_is_still_honoured_and_an_empty_part_dropped(gql, partner):
    """What a hostile upload must not break: a GeoJSON 2008 `crs` member naming a CRS GDAL knows
    (NAD83, here), and a MultiPolygon with an empty part (dropped, the rest kept)."""
    nad83 = {**collection(PLATEAU_A), "crs": {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::4269"}}}
    assert gql(IMPORT, upload(partner, nad83), token=partner["member"])["data"]["importBoundaryLayer"]["districts"] == 1
    parts = [square(-73.58, 45.51, -73.57, 45.52), []]
    body = gql(IMPORT, upload(partner, collection(feature("M", parts, "MultiPolygon"))), token=partner["member"])
    assert body["data"]["importBoundaryLayer"]["districts"] == 1
    district = District.objects.get(layer__slug="zones", layer__is_current=True, code="M")
    assert len(district.geometry) == 1 and district.area_m2 > 0


@pytest.mark.parametrize(
    "content,expected",
    [
        (json.dumps(collection(feature("Z", [[[0, 0], [1, 0], [1, float("nan")], [0, 0]]]))), "not a finite number"),
        (json.dumps(collection(feature("Z", [[[0, 0], [1, 0], [1, float("inf")], [0, 0]]]))), "not a finite number"),
        (GOOD_GEOJSON.replace('"A"', '"A\\u0000B"'), "features[0]: its property 'code' holds a NUL character"),
    ],
)
def test_an_uploaded_geojson_file_gets_the_same_checks(gql, partner, content, expected):
    zones_layer(gql, partner)
    before = state()
    message = refused(multipart(partner, "zones.geojson", content.encode()))
    assert expected in message, message
    assert state() == before
