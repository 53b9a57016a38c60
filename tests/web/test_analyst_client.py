"""Given the API running on the test data, when an analyst runs examples/analyst.py, then the files
it writes are GeoDataFrame-ready (FeatureCollections, flat properties) and hold what the database
holds: every borough with its counts, every offer of the chosen borough."""

import json
import subprocess
import sys

import pytest
import shapely
from shapely.geometry import shape
from strawberry.relay import GlobalID

from offers.models import Offer
from places.models import District
from tests.conftest import BOROUGHS, load_geojson
from tests.servers import ROOT, database_url_for, running_api

pytestmark = pytest.mark.django_db


def test_the_analyst_client_writes_what_the_database_holds(tmp_path):
    borough = District.objects.get(layer__slug="mtl-boroughs", name__icontains="Plateau")
    with running_api(database_url_for()) as base:
        arguments = ["--api", base, "--layer", "mtl-boroughs", "--district", borough.code, "--out", str(tmp_path)]
        subprocess.run([sys.executable, "examples/analyst.py", *arguments], cwd=ROOT, check=True, timeout=120)
    areas = json.loads((tmp_path / "area-stats.geojson").read_text())
    offers = json.loads((tmp_path / "offers.geojson").read_text())
    for collection in (areas, offers):
        assert collection["type"] == "FeatureCollection"
        for feature in collection["features"]:
            assert all(not isinstance(v, dict | list) for v in feature["properties"].values()), "flat properties"

    codes = {str(f["properties"]["CODEID"]) for f in load_geojson(BOROUGHS)["features"]}
    assert {f["properties"]["code"] for f in areas["features"]} == codes
    plateau = next(f for f in areas["features"] if f["properties"]["code"] == borough.code)
    assert plateau["properties"]["offers"] == Offer.objects.filter(districts=borough).count()

    feature = next(f for f in load_geojson(BOROUGHS)["features"] if str(f["properties"]["CODEID"]) == borough.code)
    polygon = shapely.make_valid(shape(feature["geometry"]))
    places = Offer.objects.only("public_location")
    inside = {o.pk for o in places if polygon.intersects(shapely.Point(o.public_location.coords))}
    written = {int(GlobalID.from_id(f["id"]).node_id) for f in offers["features"]}
    assert written == inside and len(offers["features"]) == len(inside)
    assert all(f["properties"]["district_code"] == borough.code for f in offers["features"])
