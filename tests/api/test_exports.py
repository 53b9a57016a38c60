"""Given an analyst, when they download a list or the area figures, then the file holds exactly
what the API answers for the same filter, streamed in chunks, with attribution and licence."""

import csv
import io
import json

import pytest
from asgiref.sync import async_to_sync
from django.test import Client
from shapely.geometry import Point, shape
from strawberry.relay import GlobalID

from geoschema import exports
from offers.models import Offer
from places.models import District
from tests.conftest import BOROUGHS, load_geojson

pytestmark = pytest.mark.django_db


def download(path: str) -> tuple[int, bytes, dict]:
    """GET an export and read its stream as the ASGI server would (the stream is asynchronous;
    async_to_sync keeps its database calls on this thread, inside the test's transaction)."""
    response = Client(HTTP_HOST="localhost").get(path)
    if not response.streaming:
        return response.status_code, response.content, response

    async def read() -> bytes:
        return b"".join([chunk async for chunk in response.streaming_content])

    return response.status_code, async_to_sync(read)(), response


def test_offers_in_a_viewport_as_geojson_match_the_plain_comparison(monkeypatch):
    monkeypatch.setattr(exports, "CHUNK", 50)  # several chunks
    west, south, east, north = -73.62, 45.48, -73.55, 45.53
    status, body, response = download(f"/exports/offers.geojson?bbox={west},{south},{east},{north}")
    assert status == 200 and response.streaming and response["Content-Type"] == "application/geo+json"
    collection = json.loads(body)
    expected = {
        o.pk for o in Offer.objects.only("location") if west <= o.location.x <= east and south <= o.location.y <= north
    }
    got = {int(GlobalID.from_id(f["id"]).node_id) for f in collection["features"]}
    assert len(expected) > 150 and got == expected and len(collection["features"]) == len(expected)
    feature = collection["features"][0]
    assert feature["geometry"]["type"] == "Point" and {"title", "kind", "quantity"} <= feature["properties"].keys()
    assert "Quartier contributors" in collection["attribution"]


def test_offers_in_a_borough_as_csv_with_the_layer_attribution():
    borough = load_geojson(BOROUGHS)["features"][3]
    district = District.objects.get(layer__slug="mtl-boroughs", code=borough["properties"]["CODEID"])
    district.layer.attribution, district.layer.licence = "Ville de Montréal", "CC-BY-4.0"
    district.layer.save()
    gid = str(GlobalID("District", str(district.pk)))
    status, body, response = download(f"/exports/offers.csv?district={gid}&kinds=MONEY,MEAL")
    assert status == 200 and "Ville de Montréal" in response["X-Attribution"] and "CC-BY-4.0" in response["X-Licence"]
    rows = list(csv.DictReader(io.StringIO(body.decode())))
    polygon = shape(borough["geometry"])
    expected = {
        o.pk
        for o in Offer.objects.filter(kind__in=["MONEY", "MEAL"])
        if polygon.intersects(Point(o.location.x, o.location.y))
    }
    assert {int(GlobalID.from_id(r["id"]).node_id) for r in rows} == expected and expected
    assert all(
        r["kind"] in ("MONEY", "MEAL") and polygon.intersects(Point(float(r["lon"]), float(r["lat"]))) for r in rows
    )


def test_a_csv_cell_that_a_spreadsheet_would_run_is_written_as_text():
    """OWASP's CSV injection: a text that starts like a formula is written after an apostrophe in
    the CSV (the GeoJSON keeps it as posted); numbers, negative ones included, stay numbers."""
    offer = Offer.objects.order_by("id").first()
    titles = ['=HYPERLINK("http://evil.example","click")', "+cmd|' /C calc'!A0", "-2+3", "@SUM(1)"]
    point = f"{offer.public_location.x},{offer.public_location.y},1"
    for title in titles:
        Offer.objects.filter(pk=offer.pk).update(title=title, categories=["=1+1", "soup"])
        _, body, _ = download(f"/exports/offers.csv?near={point}")
        row = next(
            r for r in csv.DictReader(io.StringIO(body.decode())) if r["id"] == str(GlobalID("Offer", str(offer.pk)))
        )
        assert row["title"] == "'" + title and row["categories"] == "'=1+1;soup", title
        assert not row["lon"].startswith("'") and float(row["lon"]) < 0, "a negative number stays a number"
        _, body, _ = download(f"/exports/offers.geojson?near={point}")
        feature = next(f for f in json.loads(body)["features"] if f["id"] == str(GlobalID("Offer", str(offer.pk))))
        assert feature["properties"]["title"] == title


def test_area_stats_as_csv_and_geojson_match_the_api(gql):
    table = {
        s["district"]["code"]: s
        for s in gql('{ areaStats(layer: "mtl-boroughs") { district { code } offers needs } }')["data"]["areaStats"]
    }
    status, body, _ = download("/exports/area-stats.csv?layer=mtl-boroughs")
    rows = list(csv.DictReader(io.StringIO(body.decode())))
    assert status == 200 and len(rows) == 19
    for row in rows:
        assert int(row["offers"]) == table[row["code"]]["offers"] and int(row["needs"]) == table[row["code"]]["needs"]
    status, body, _ = download("/exports/area-stats.geojson?layer=mtl-boroughs")
    features = json.loads(body)["features"]
    assert len(features) == 19 and all(f["geometry"]["type"] in ("Polygon", "MultiPolygon") for f in features)


@pytest.mark.parametrize(
    "path,status,code",
    [
        ("/exports/unicorns.csv", 404, "NOT_FOUND"),
        ("/exports/offers.csv?bbox=1,2,3", 400, "BAD_INPUT"),
        ("/exports/offers.csv?bbox=-73.5,45.5,-73.6,45.6", 400, "BAD_INPUT"),
        ("/exports/offers.geojson?near=-73.5,95,100", 400, "BAD_INPUT"),
        ("/exports/offers.geojson?near=-73.5,45.5,9999999", 400, "LIMIT_EXCEEDED"),
        ("/exports/offers.csv?district=nope", 400, "BAD_INPUT"),
        ("/exports/area-stats.csv", 400, "BAD_INPUT"),
        ("/exports/area-stats.csv?layer=atlantis", 404, "NOT_FOUND"),
        ("/exports/area-stats.csv?layer=mtl-boroughs&from=yesterday", 400, "BAD_INPUT"),
        # Filters that used to be quietly ignored or to match nothing: an empty or a whole file.
        ("/exports/offers.csv?kinds=MEALS", 400, "BAD_INPUT"),
        ("/exports/needs.geojson?kinds=MEAL,DRAGONS", 400, "BAD_INPUT"),
        ("/exports/projects.csv?kinds=MONEY", 400, "BAD_INPUT"),
        ("/exports/points-of-interest.csv?kinds=MEAL", 400, "BAD_INPUT"),
        ("/exports/offers.csv?kind=MEAL", 400, "BAD_INPUT"),
        ("/exports/offers.csv?layer=mtl-boroughs", 400, "BAD_INPUT"),
        ("/exports/offers.csv?kinds=MEAL&kinds=MONEY", 400, "BAD_INPUT"),
        ("/exports/area-stats.csv?layer=mtl-boroughs&bbox=-73.62,45.48,-73.55,45.53", 400, "BAD_INPUT"),
        ("/exports/area-stats.csv?layer=mtl-boroughs&from=2026-02-30T00:00:00", 400, "BAD_INPUT"),
        (
            "/exports/area-stats.csv?layer=mtl-boroughs&from=2026-02-01T00:00:00Z&to=2026-01-01T00:00:00Z",
            400,
            "BAD_INPUT",
        ),
        # A NUL character is the client's mistake, not an outage.
        ("/exports/area-stats.csv?layer=mtl-boroughs%00", 400, "BAD_INPUT"),
        ("/exports/offers.csv?district=%00", 400, "BAD_INPUT"),
        # An empty district was no filter at all: the whole file.
        ("/exports/offers.csv?district=", 400, "BAD_INPUT"),
        ("/exports/needs.csv?bbox=", 400, "BAD_INPUT"),
        ("/exports/area-stats.csv?layer=", 400, "BAD_INPUT"),
        ("/exports/area-stats.csv?layer=mtl-boroughs&to=", 400, "BAD_INPUT"),
        # A filter this dataset does not take: refused before the dataset's own checks.
        ("/exports/projects.csv?layer=atlantis", 400, "BAD_INPUT"),
        ("/exports/nothing.csv?bbox=1,2,3,4", 404, "NOT_FOUND"),
    ],
)
def test_bad_export_requests_get_a_coded_error(path, status, code):
    got, body, response = download(path)
    assert response["Content-Type"] == "application/json"
    [error] = json.loads(body)["errors"]
    assert (got, error["extensions"]["code"]) == (status, code)


def test_a_refused_filter_is_named_with_those_the_dataset_takes():
    got, body, _ = download("/exports/offers.csv?kind=MEAL&dstrict=x&bbox=-73.62,45.48,-73.55,45.53")
    [error] = json.loads(body)["errors"]
    assert got == 400 and error["message"] == (
        "offers exports take no parameters 'kind', 'dstrict': they take bbox, near, district, kinds"
    )


def test_kinds_and_periods_that_are_fine_still_export():
    status, body, _ = download("/exports/offers.csv?kinds=MEAL,%20MONEY")
    rows = list(csv.DictReader(io.StringIO(body.decode())))
    assert status == 200 and rows and {r["kind"] for r in rows} <= {"MEAL", "MONEY"}
    status, body, _ = download(
        "/exports/area-stats.csv?layer=mtl-boroughs&from=2020-01-01T00:00:00&to=2030-01-01T00:00:00Z"
    )
    assert status == 200 and len(list(csv.DictReader(io.StringIO(body.decode())))) == 19
