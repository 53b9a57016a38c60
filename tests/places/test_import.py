"""Given the real Montreal and Paris files, when they are imported, then every district is there,
valid, measured, and tied to its parent; and importing again changes nothing."""

import json
import subprocess
import zipfile

import pytest
import shapely
from django.contrib.gis.geos import MultiPolygon
from django.core.management import call_command
from django.db import connection
from pyproj import Geod
from shapely.geometry import shape

from places.models import BoundaryLayer, District, PointOfInterest
from tests.conftest import BOROUGHS, POINTS_OF_INTEREST, QUARTIERS, SHARED_DATA, load_geojson

pytestmark = pytest.mark.django_db
GEOD = Geod(ellps="WGS84")


def test_boroughs_and_neighbourhoods_are_all_imported_and_valid():
    assert District.objects.filter(layer__slug="mtl-boroughs").count() == 19
    assert District.objects.filter(layer__slug="mtl-quartiers").count() == 91
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM places_district WHERE NOT ST_IsValid(geometry)")
        assert cursor.fetchone()[0] == 0


def test_the_six_invalid_neighbourhoods_are_repaired_and_counted(capsys):
    invalid_in_file = sum(not shape(f["geometry"]).is_valid for f in load_geojson(QUARTIERS)["features"])
    assert invalid_in_file == 6
    call_command("import_boundaries", str(QUARTIERS), layer="mtl-quartiers-again", kind="NEIGHBOURHOOD")
    assert "6 invalid polygons repaired" in capsys.readouterr().out


def test_repaired_polygons_keep_their_area():
    """ST_MakeValid must not drop parts: each repaired area is the file's area (shapely's make_valid)."""
    by_code = {str(f["properties"]["no_qr"]): f for f in load_geojson(QUARTIERS)["features"]}
    for district in District.objects.filter(layer__slug="mtl-quartiers"):
        original = shapely.make_valid(shape(by_code[district.code]["geometry"]))
        polygons = [p for p in shapely.get_parts(original) if p.geom_type in ("Polygon", "MultiPolygon")]
        geodesic_area = sum(abs(GEOD.geometry_area_perimeter(p)[0]) for p in polygons)
        assert district.area_m2 == pytest.approx(geodesic_area, rel=1e-3), district.name


def test_reimport_is_idempotent():
    before = list(District.objects.filter(layer__slug="mtl-boroughs").values_list("id", "code", "name"))
    call_command("import_boundaries", str(BOROUGHS), layer="mtl-boroughs")
    after = list(District.objects.filter(layer__slug="mtl-boroughs").values_list("id", "code", "name"))
    assert after == before
    pois = PointOfInterest.objects.count()
    call_command("import_places", str(POINTS_OF_INTEREST), source="mtl-lieux", name_field="Nom français")
    assert PointOfInterest.objects.count() == pois == 3231


def test_each_neighbourhood_gets_the_borough_that_holds_most_of_it():
    boroughs = {f["properties"]["CODEID"]: shape(f["geometry"]) for f in load_geojson(BOROUGHS)["features"]}
    for feature in load_geojson(QUARTIERS)["features"]:
        quartier = shapely.make_valid(shape(feature["geometry"]))
        shares = {code: quartier.intersection(b).area / quartier.area for code, b in boroughs.items()}
        best = max(shares, key=shares.get)
        expected = best if shares[best] >= 0.5 else None
        district = District.objects.get(layer__slug="mtl-quartiers", code=str(feature["properties"]["no_qr"]))
        assert (district.parent.code if district.parent else None) == expected, district.name


def test_paris_quartiers_get_their_arrondissement():
    call_command(
        "import_boundaries",
        str(SHARED_DATA / "paris/arrondissements_20.geojson"),
        layer="paris-ar",
        code_field="c_ar",
        name_field="l_aroff",
    )
    call_command(
        "import_boundaries",
        str(SHARED_DATA / "paris/quartiers_administratifs_80.geojson"),
        layer="paris-qu",
        code_field="c_qu",
        name_field="l_qu",
        parent_layer="paris-ar",
    )
    expected = {
        str(f["properties"]["c_qu"]): str(f["properties"]["c_ar"])
        for f in load_geojson(SHARED_DATA / "paris/quartiers_administratifs_80.geojson")["features"]
    }
    got = dict(District.objects.filter(layer__slug="paris-qu").values_list("code", "parent__code"))
    assert len(got) == 80 and got == expected


def test_a_projected_shapefile_lands_where_the_wgs84_original_is(tmp_path):
    """Reproject the boroughs to Montreal's MTM zone 8 (EPSG:32188) as a zipped Shapefile with GDAL,
    import that, and compare with the WGS84 import."""
    out = tmp_path / "boroughs_mtm8.shp"
    subprocess.run(["ogr2ogr", "-t_srs", "EPSG:32188", "-f", "ESRI Shapefile", str(out), str(BOROUGHS)], check=True)
    archive = tmp_path / "boroughs_mtm8.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for part in tmp_path.glob("boroughs_mtm8.*"):
            if part != archive:
                zf.write(part, part.name)
    call_command("import_boundaries", str(archive), layer="mtl-boroughs-mtm8", code_field="CODEID", name_field="NOM")
    layer = BoundaryLayer.objects.get(slug="mtl-boroughs-mtm8")
    assert layer.districts.count() == 19
    for district in layer.districts.all():
        original = District.objects.get(layer__slug="mtl-boroughs", code=district.code)
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT ST_HausdorffDistance(ST_Transform(%s::geometry, 32188), ST_Transform(%s::geometry, 32188))",
                [district.geometry.ewkt, original.geometry.ewkt],
            )
            assert cursor.fetchone()[0] < 0.05, district.name  # metres


def test_a_geopackage_imports_like_the_geojson(tmp_path):
    gpkg = tmp_path / "quartiers.gpkg"
    subprocess.run(["ogr2ogr", "-f", "GPKG", str(gpkg), str(QUARTIERS)], check=True)
    call_command("import_boundaries", str(gpkg), layer="mtl-quartiers-gpkg", code_field="no_qr", name_field="nom_qr")
    got = dict(District.objects.filter(layer__slug="mtl-quartiers-gpkg").values_list("code", "area_m2"))
    expected = dict(District.objects.filter(layer__slug="mtl-quartiers").values_list("code", "area_m2"))
    assert got.keys() == expected.keys() and len(got) == 91
    assert all(got[code] == pytest.approx(expected[code], rel=1e-9) for code in got)


def test_buildings_footprints_from_lille_get_a_point_inside(tmp_path):
    """A building known by its footprint only is placed inside it."""
    from django.contrib.gis.geos import GEOSGeometry

    from places.models import Building

    features = load_geojson(SHARED_DATA / "lille-mel/aubers_59025_batiments_slim_derived.geojson")["features"][:50]
    for feature in features:
        footprint = GEOSGeometry(json.dumps(feature["geometry"]), srid=4326)
        if footprint.geom_type == "Polygon":
            footprint = MultiPolygon(footprint, srid=4326)
        building = Building.objects.create(name=feature["properties"]["ID"], footprint=footprint)
        assert (
            shapely.make_valid(shape(feature["geometry"]))
            .buffer(1e-9)
            .contains(shapely.Point(building.location.x, building.location.y))
        )
