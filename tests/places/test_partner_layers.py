"""Given a city partner, when it uploads its own boundaries (GeoJSON in the request, or a projected
Shapefile through a multipart upload), then they become a layer like the official ones: versioned,
repaired, reprojected, visible to whom the partner chooses; and bad uploads write nothing."""

import json
import subprocess
import zipfile

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db import connection
from django.test import Client
from strawberry.relay import GlobalID

from accounts.services import token_issue
from places.models import BoundaryLayer, District, Organisation
from tests.conftest import QUARTIERS, SHARED_DATA, codes, load_geojson

pytestmark = pytest.mark.django_db
MEL = SHARED_DATA / "lille-mel/mel_communes_95_derived.geojson"
PARIS_AR = SHARED_DATA / "paris/arrondissements_20.geojson"

IMPORT = """mutation($input: BoundaryLayerImportInput!) {
  importBoundaryLayer(input: $input) { districts repaired layer { slug version isCurrent visibility owner { name } } }
}"""


@pytest.fixture
def partner():
    """A partner organisation, a member's token, and an outsider's token."""
    User = get_user_model()
    member = User.objects.create_user("gis@lille.example.org", password="x" * 20)
    outsider = User.objects.create_user("someone@example.org", password="x" * 20)
    org = Organisation.objects.create(name="Métropole", kind="PARTNER", location="SRID=4326;POINT(3.06 50.63)")
    org.members.add(member)
    return {"org": org, "member": token_issue(user=member), "outsider": token_issue(user=outsider)}


def upload_input(partner, **fields):
    return {
        "slug": "mel-communes",
        "name": "Communes de la MEL",
        "ownerId": str(GlobalID("Organisation", str(partner["org"].pk))),
        "featureCollection": load_geojson(MEL),
        "codeProperty": "code",
        "nameProperty": "nom",
        **fields,
    }


def test_a_partner_uploads_geojson_then_a_new_version(gql, partner):
    first = gql(IMPORT, {"input": upload_input(partner)}, token=partner["member"])["data"]["importBoundaryLayer"]
    assert (
        first["districts"] == 95 and first["layer"]["version"] == 1 and first["layer"]["owner"]["name"] == "Métropole"
    )
    second = gql(IMPORT, {"input": upload_input(partner, name="Communes (2026)")}, token=partner["member"])
    assert second["data"]["importBoundaryLayer"]["layer"] == {
        "slug": "mel-communes",
        "version": 2,
        "isCurrent": True,
        "visibility": "PUBLIC",
        "owner": {"name": "Métropole"},
    }
    count = """query($v: Int) { districts(layer: "mel-communes", version: $v) { totalCount } }"""
    assert gql(count, {"v": 1})["data"]["districts"]["totalCount"] == 95
    assert gql(count, {"v": None})["data"]["districts"]["totalCount"] == 95
    layers = gql("{ layers { slug version name } }")["data"]["layers"]
    assert {"slug": "mel-communes", "version": 2, "name": "Communes (2026)"} in layers
    assert not any(layer["slug"] == "mel-communes" and layer["version"] == 1 for layer in layers)
    lille = gql(
        """{ districtAt(point: {longitude: 3.0573, latitude: 50.6292}, layer: "mel-communes") { code name } }"""
    )
    assert lille["data"]["districtAt"] == {"code": "59350", "name": "Lille"}


def test_invalid_polygons_are_repaired_and_counted(gql, partner):
    variables = {
        "input": upload_input(
            partner, slug="qr", featureCollection=load_geojson(QUARTIERS), codeProperty="no_qr", nameProperty="nom_qr"
        )
    }
    result = gql(IMPORT, variables, token=partner["member"])["data"]["importBoundaryLayer"]
    assert result["districts"] == 91 and result["repaired"] == 6
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM places_district d JOIN places_boundarylayer l ON l.id = d.layer_id "
            "WHERE l.slug = 'qr' AND NOT ST_IsValid(d.geometry)"
        )
        assert cursor.fetchone()[0] == 0


def test_a_projected_shapefile_upload_lands_on_the_wgs84_original(partner, tmp_path):
    """Paris arrondissements reprojected to Lambert-93 (EPSG:2154) with GDAL, zipped and uploaded
    through the multipart spec, match the WGS84 import within a few centimetres."""
    call_command("import_boundaries", str(PARIS_AR), layer="paris-ar", code_field="c_ar", name_field="l_aroff")
    shp = tmp_path / "ar.shp"
    subprocess.run(["ogr2ogr", "-t_srs", "EPSG:2154", "-f", "ESRI Shapefile", str(shp), str(PARIS_AR)], check=True)
    archive = tmp_path / "ar.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for part in tmp_path.glob("ar.*"):
            if part != archive:
                zf.write(part, part.name)
    variables = {
        "input": {
            "slug": "paris-ar-l93",
            "name": "Arrondissements (Lambert-93)",
            "file": None,
            "ownerId": str(GlobalID("Organisation", str(partner["org"].pk))),
            "codeProperty": "c_ar",
            "nameProperty": "l_aroff",
        }
    }
    with archive.open("rb") as upload:
        response = Client(HTTP_HOST="localhost").post(
            "/graphql",
            {
                "operations": json.dumps({"query": IMPORT, "variables": variables}),
                "map": json.dumps({"0": ["variables.input.file"]}),
                "0": upload,
            },
            headers={"Authorization": f"Bearer {partner['member']}"},
        )
    body = response.json()
    assert "errors" not in body, body
    assert body["data"]["importBoundaryLayer"]["districts"] == 20
    with connection.cursor() as cursor:
        cursor.execute("""
            SELECT max(ST_HausdorffDistance(ST_Transform(a.geometry, 2154), ST_Transform(b.geometry, 2154)))
              FROM places_district a JOIN places_boundarylayer la ON la.id = a.layer_id AND la.slug = 'paris-ar-l93'
              JOIN places_district b ON b.code = a.code
              JOIN places_boundarylayer lb ON lb.id = b.layer_id AND lb.slug = 'paris-ar'""")
        assert cursor.fetchone()[0] < 0.05  # metres


def test_members_only_layers_are_hidden_from_others(gql, partner):
    gql(IMPORT, {"input": upload_input(partner, visibility="MEMBERS")}, token=partner["member"])
    at = """{ districtAt(point: {longitude: 3.0573, latitude: 50.6292}, layer: "mel-communes") { name } }"""
    assert gql(at, token=partner["member"])["data"]["districtAt"]["name"] == "Lille"
    for token in (partner["outsider"], None):
        assert codes(gql(at, token=token, expect_errors=True)) == ["NOT_FOUND"]
        assert "mel-communes" not in [
            layer["slug"] for layer in gql("{ layers { slug } }", token=token)["data"]["layers"]
        ]
    layer = """{ mapLayer(of: DISTRICT, layer: "mel-communes", zoom: 10) }"""
    assert len(gql(layer, token=partner["member"])["data"]["mapLayer"]["features"]) == 95
    for token in (partner["outsider"], None):
        assert codes(gql(layer, token=token, expect_errors=True)) == ["NOT_FOUND"]
    every = "{ districts(first: 500) { edges { node { layer { slug } } } } }"
    slugs = {e["node"]["layer"]["slug"] for e in gql(every, token=partner["outsider"])["data"]["districts"]["edges"]}
    assert "mel-communes" not in slugs and slugs
    district = District.objects.get(layer__slug="mel-communes", code="59350")
    node = """query($id: ID!) { node(id: $id) { ... on District { name } } }"""
    outsider = gql(
        node, {"id": str(GlobalID("District", str(district.pk)))}, token=partner["outsider"], expect_errors=True
    )
    assert outsider["data"]["node"] is None and codes(outsider) == ["NOT_FOUND"]


@pytest.mark.parametrize(
    "who,fields,code",
    [
        ("anonymous", {}, "UNAUTHENTICATED"),
        ("outsider", {}, "FORBIDDEN"),
        ("member", {"crs": "EPSG:999999"}, "BAD_INPUT"),
        ("member", {"featureCollection": {"type": "Polygon", "coordinates": []}}, "BAD_INPUT"),
        ("member", {"codeProperty": "missing"}, "BAD_INPUT"),
        ("member", {"file": None, "featureCollection": None}, "BAD_INPUT"),
        ("member", {"ownerId": None}, "BAD_INPUT"),
    ],
)
def test_bad_uploads_write_nothing(gql, partner, who, fields, code):
    token = {"anonymous": None, "outsider": partner["outsider"], "member": partner["member"]}[who]
    body = gql(IMPORT, {"input": upload_input(partner, **fields)}, token=token, expect_errors=True)
    assert codes(body) == [code]
    assert not BoundaryLayer.objects.filter(slug="mel-communes").exists()


@pytest.mark.parametrize(
    "limit,value,message",
    [
        ("IMPORT_MAX_FEATURES", 50, "95 features"),
        ("IMPORT_MAX_VERTICES", 2000, "vertices"),
        ("IMPORT_MAX_BYTES", 10_000, "bytes"),
    ],
)
def test_uploads_past_a_limit_are_refused_whole(gql, partner, settings, limit, value, message):
    settings.QUARTIER = {**settings.QUARTIER, limit: value}
    body = gql(IMPORT, {"input": upload_input(partner)}, token=partner["member"], expect_errors=True)
    assert codes(body) == ["LIMIT_EXCEEDED"] and message in body["errors"][0]["message"]
    assert not BoundaryLayer.objects.filter(slug="mel-communes").exists()
    assert not District.objects.filter(layer__slug="mel-communes").exists()


def test_another_partner_cannot_overwrite_a_layer(gql, partner):
    gql(IMPORT, {"input": upload_input(partner)}, token=partner["member"])
    User = get_user_model()
    rival_member = User.objects.create_user("gis@rival.example.org", password="x" * 20)
    rival = Organisation.objects.create(name="Rival", kind="PARTNER", location="SRID=4326;POINT(3 50)")
    rival.members.add(rival_member)
    variables = {"input": upload_input(partner, ownerId=str(GlobalID("Organisation", str(rival.pk))))}
    body = gql(IMPORT, variables, token=token_issue(user=rival_member), expect_errors=True)
    assert codes(body) == ["FORBIDDEN"]
    assert BoundaryLayer.objects.filter(slug="mel-communes").count() == 1
