"""Given a fresh database, when `make run` loads the demo data, then a map sees it in its zones."""

import pytest
from django.core.management import call_command
from shapely.geometry import Point, shape
from strawberry.relay import GlobalID

from offers.models import Need, Offer
from places.models import District
from tests.conftest import load_geojson

pytestmark = pytest.mark.django_db
ZONES = "fixtures/demo_zones.geojson"


def test_demo_data_loads_once_and_sits_in_its_zones(gql, settings):
    offers, needs = Offer.objects.count(), Need.objects.count()
    call_command("load_demo")
    call_command("load_demo")  # a second run changes nothing
    assert Offer.objects.count() == offers + 12 and Need.objects.count() == needs + 9
    zones = {f["properties"]["code"]: shape(f["geometry"]) for f in load_geojson(settings.BASE_DIR / ZONES)["features"]}
    for district in District.objects.filter(layer__slug="demo-zones"):
        body = gql(
            """query($d: ID!) { offers(spatial: {withinDistrict: $d}, first: 100) { edges { node { location } } } }""",
            {"d": str(GlobalID("District", str(district.pk)))},
        )
        points = [e["node"]["location"]["coordinates"] for e in body["data"]["offers"]["edges"]]
        assert points and all(zones[district.code].intersects(Point(*p)) for p in points)


def test_cluster_tables_keeps_every_row_and_the_answers(gql):
    from django.core.management import call_command

    query = """{ offers(spatial: {near: {point: {longitude: -73.58, latitude: 45.52}, radiusMeters: 2000}},
                         orderBy: DISTANCE, first: 50) { totalCount edges { node { id } } } }"""
    before, count = gql(query)["data"], Offer.objects.count()
    call_command("cluster_tables")
    assert Offer.objects.count() == count and gql(query)["data"] == before
