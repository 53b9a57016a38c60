"""Given a client that sends a DateTime, a Decimal or a GeoJSON geometry the API cannot store or
read back (an instant after year 9999, a digit of another script, a polygon across the
antimeridian), when it asks, then it gets BAD_INPUT with a message that says what to fix, and
nothing is written; what it may send is still accepted and read back by everyone."""

import json
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from events.models import Event
from geoschema.errors import ApiError
from geoschema.scalars import parse as parse_geojson
from geoschema.scalars import parse_datetime, parse_decimal
from geoschema.schema import schema
from offers.models import Offer
from tests.api.test_bad_input import SQUARE
from tests.conftest import SHARED_DATA, codes, load_geojson

pytestmark = pytest.mark.django_db

HERE = {"longitude": -73.58, "latitude": 45.52}
CREATE_EVENT = """mutation($s: DateTime!, $e: DateTime!, $p: PointInput!) {
  createEvent(input: {title: "far future", startsAt: $s, endsAt: $e, location: $p}) { id startsAt endsAt } }"""
CREATE_OFFER = """mutation($from: DateTime, $q: Decimal, $p: PointInput!) {
  createOffer(input: {title: "Flour", kind: MATERIAL, quantity: $q, availableFrom: $from, location: $p}) {
    id availableFrom quantity } }"""
EVENTS = """{ events(spatial: {near: {point: {longitude: -73.58, latitude: 45.52}, radiusMeters: 500}},
  between: {start: "2000-01-01T00:00:00Z"}, first: 50) { edges { node { id startsAt endsAt } } } }"""
OFFERS_BETWEEN = "query($b: TimeRangeInput) { offers(availableBetween: $b, first: 1) { totalCount } }"
AREA_STATS = 'query($f: DateTime, $t: DateTime) { areaStats(layer: "mtl-boroughs", from: $f, to: $t) { offers } }'

PAST_9999 = [
    "9999-12-31T20:00:00-12:00",  # the probe's: 10000-01-01 08:00 UTC
    "9999-12-31T23:59:59-00:01",
    "9999-12-31T23:00:00-05:00",
    "9999-12-31T24:00:00Z",  # ISO 8601's end of the day: 10000-01-01 as written
]
BEFORE_1 = ["0001-01-01T00:30:00+01:00", "0001-01-01T00:00:00+14:00"]


def counts() -> tuple[int, int]:
    return Event.objects.count(), Offer.objects.count()


def assert_refused(body: dict, *hints: str) -> None:
    assert codes(body) and set(codes(body)) == {"BAD_INPUT"}, body
    for error in body["errors"]:
        assert all(hint.lower() in error["message"].lower() for hint in hints), error["message"]
    assert "Traceback" not in json.dumps(body)


# DateTime


@pytest.mark.parametrize("value", PAST_9999 + BEFORE_1)
def test_an_event_whose_utc_instant_is_outside_years_1_to_9999_is_refused(gql, register, value):
    token = register("far@example.org")
    before = counts()
    body = gql(CREATE_EVENT, {"s": "2026-06-01T12:00:00Z", "e": value, "p": HERE}, token=token, expect_errors=True)
    assert_refused(body, "UTC", "9999")
    assert counts() == before


@pytest.mark.parametrize("value", PAST_9999 + BEFORE_1)
def test_an_offer_available_from_outside_years_1_to_9999_is_refused(gql, register, value):
    token = register("far@example.org")
    before = counts()
    body = gql(CREATE_OFFER, {"from": value, "p": HERE}, token=token, expect_errors=True)
    assert_refused(body, "$from", "UTC", "9999")
    assert counts() == before


def test_a_literal_in_the_query_is_refused_as_a_variable_is(gql, register):
    """The probe's own mutation: the values written in the document, not passed as variables."""
    token = register("far@example.org")
    before = counts()
    probe = """mutation { createEvent(input: {title: "far future", startsAt: "9999-12-31T20:00:00-12:00",
      endsAt: "9999-12-31T23:00:00-12:00", location: {longitude: -73.58, latitude: 45.52}}) { id } }"""
    assert_refused(gql(probe, token=token, expect_errors=True), "UTC", "9999")
    assert counts() == before


def test_every_datetime_of_the_schema_is_read_by_the_one_scalar():
    """One `DateTime` in the schema, read by parse_datetime: every argument and input field of type
    DateTime (events, offers, needs, filters, stats) goes through it."""
    assert schema._schema.type_map["DateTime"].parse_value is parse_datetime  # noqa: SLF001 - the built schema


@pytest.mark.parametrize("value", PAST_9999 + BEFORE_1)
def test_filters_refuse_an_instant_outside_years_1_to_9999(gql, value):
    assert_refused(gql(OFFERS_BETWEEN, {"b": {"start": value}}, expect_errors=True), "UTC")
    assert_refused(gql(OFFERS_BETWEEN, {"b": {"end": value}}, expect_errors=True), "UTC")
    assert_refused(gql(AREA_STATS, {"f": value}, expect_errors=True), "UTC")
    assert_refused(gql(AREA_STATS, {"t": value}, expect_errors=True), "UTC")


def test_the_last_and_first_instants_are_stored_and_read_back_by_everyone(gql, register):
    """The edges of the range stay accepted, and the lists that once failed for everyone still answer."""
    token = register("edge@example.org")
    last = gql(
        CREATE_EVENT, {"s": "9999-12-31T18:00:00-05:00", "e": "9999-12-31T23:59:59.999999Z", "p": HERE}, token=token
    )["data"]["createEvent"]
    assert last["endsAt"] == "9999-12-31T23:59:59.999999+00:00"
    first = gql(CREATE_OFFER, {"from": "0001-01-01T01:00:00+01:00", "p": HERE}, token=token)["data"]["createOffer"]
    assert Offer.objects.get(title="Flour").available_from == datetime(1, 1, 1, tzinfo=UTC)
    listed = [edge["node"]["id"] for edge in gql(EVENTS)["data"]["events"]["edges"]]
    assert last["id"] in listed
    node = "query($id: ID!) { node(id: $id) { id } }"
    assert gql(node, {"id": last["id"]})["data"]["node"] == {"id": last["id"]}
    assert gql(node, {"id": first["id"]})["data"]["node"] == {"id": first["id"]}
    assert gql("{ offers(first: 500) { totalCount } }")["data"]["offers"]["totalCount"] > 0


@pytest.mark.parametrize(
    "value",
    ["2026-06-01T12:00:00Z", "2026-06-01T12:00:00+02:00", "2026-06-01T12:00:00.123456-04:00", "20260601T120000Z"],
)
def test_iso_8601_forms_strawberry_reads_are_still_read(gql, value):
    assert gql(AREA_STATS, {"f": value})["data"]["areaStats"]


@pytest.mark.parametrize("value", ["not a date", "2026-13-01T00:00:00Z", "10000-01-01T00:00:00Z", 1750000000])
def test_what_is_not_an_iso_8601_datetime_is_still_bad_input(gql, value):
    assert_refused(gql(AREA_STATS, {"f": value}, expect_errors=True), "DateTime")


def test_a_naive_datetime_is_read_as_utc(gql, register):
    """Strawberry accepts a DateTime without an offset and Django stores it as UTC (TIME_ZONE); it
    is compared with one that has an offset as that instant."""
    token = register("naive@example.org")
    variables = {"s": "2026-06-01T12:00:00", "e": "2026-06-01T15:00:00+02:00", "p": HERE}
    event = gql(CREATE_EVENT, variables, token=token)["data"]["createEvent"]
    assert event["startsAt"] == "2026-06-01T12:00:00+00:00"
    body = gql(
        OFFERS_BETWEEN, {"b": {"start": "2026-06-01T12:00:00", "end": "2026-06-01T11:00:00Z"}}, expect_errors=True
    )
    assert_refused(body, "must not be after")


# Decimal


@pytest.mark.parametrize(
    "quantity", ["\u0661", "1_0", " 1 ", "1 ", "\t1", "１", "1e", ".", "+", "0x10", "1,5", "1.5.2", "", True, [1]]
)
def test_a_decimal_that_is_not_ascii_decimal_notation_is_refused(gql, register, quantity):
    token = register("flour@example.org")
    before = counts()
    body = gql(CREATE_OFFER, {"q": quantity, "p": HERE}, token=token, expect_errors=True)
    assert_refused(body, "Decimal")
    assert counts() == before


@pytest.mark.parametrize(
    ("quantity", "stored"),
    [("12.50", "12.50"), ("+3", "3"), ("1e2", "1E+2"), (".5", "0.5"), ("5.", "5"), ("2.5E-1", "0.25"), (4, "4")]
    + [(2.5, "2.5")],
)
def test_ascii_decimal_notation_and_json_numbers_are_accepted(gql, register, quantity, stored):
    token = register("flour@example.org")
    offer = gql(CREATE_OFFER, {"q": quantity, "p": HERE}, token=token)["data"]["createOffer"]
    assert Offer.objects.get(title="Flour").quantity == Decimal(stored) == Decimal(offer["quantity"])


@pytest.mark.parametrize(
    ("text", "number"), [("-1", Decimal(-1)), ("-0.5e-3", Decimal("-0.0005")), ("1E+400", Decimal("1E+400"))]
)
def test_the_decimal_scalar_reads_signs_and_exponents(text, number):
    assert parse_decimal(text) == number


# GeoJSON across the antimeridian

WITHIN = "query($g: GeoJSON!) { offers(spatial: {withinGeometry: $g}, first: 1) { totalCount } }"


def box(west: float, south: float, east: float, north: float) -> list[list[float]]:
    """A rectangle's ring, drawn west, east, north, as a client would send it."""
    return [[west, south], [east, south], [east, north], [west, north], [west, south]]


ACROSS = box(179, -10, -179, 10)  # meant: 2 degrees wide at the date line; read: 358 degrees round the globe


@pytest.mark.parametrize(
    "geometry",
    [
        {"type": "Polygon", "coordinates": [ACROSS]},
        {"type": "MultiPolygon", "coordinates": [[SQUARE], [ACROSS]]},
        {"type": "Polygon", "coordinates": [box(-100, 0, 100, 1)]},
        {"type": "Polygon", "coordinates": [box(-180, -1, 179, 1)]},
        {"type": "Polygon", "coordinates": [[[x, y, 12.0] for x, y in ACROSS]]},
        {"type": "LineString", "coordinates": [[179.5, 0], [-179.5, 0.5]]},
        {"type": "MultiLineString", "coordinates": [[[-73.6, 45.5], [-73.5, 45.6]], [[170, 0], [-170, 0]]]},
    ],
    ids=["square across", "one part of several", "wide band", "from -180 to 179", "3D", "line", "one line of several"],
)
def test_a_geometry_with_an_edge_over_180_degrees_of_longitude_is_refused(gql, geometry):
    assert_refused(gql(WITHIN, {"g": geometry}, expect_errors=True), "split the geometry at the antimeridian", "7946")


def test_geometries_split_at_the_antimeridian_or_up_to_180_degrees_wide_are_accepted(gql):
    split = {"type": "MultiPolygon", "coordinates": [[box(179, -10, 180, 10)], [box(-180, -10, -179, 10)]]}
    half = {"type": "Polygon", "coordinates": [box(-90, 0, 90, 1)]}
    for geometry in (split, half):
        assert gql(WITHIN, {"g": geometry})["data"]["offers"]["totalCount"] == 0
    # An edge along a parallel from one side of the antimeridian to the other: the whole-world
    # bbox (RFC 7946 5.2) and polar data such as Antarctica's, meant as drawn.
    world = {"type": "Polygon", "coordinates": [box(-180, -90, 180, 90)]}
    assert gql(WITHIN, {"g": world})["data"]["offers"]["totalCount"] > 0
    assert gql(WITHIN, {"g": {"type": "Polygon", "coordinates": [SQUARE]}})["data"]["offers"]["totalCount"] > 0


def test_real_boundaries_are_not_taken_for_crossings():
    """Every polygon of the shared open data (Montreal, Paris, Lille, France) is read as before."""
    checked = 0
    for path in sorted(SHARED_DATA.rglob("*.geojson")):
        for feature in load_geojson(path)["features"]:
            geometry = feature.get("geometry") or {}
            if geometry.get("type") not in ("Polygon", "MultiPolygon"):
                continue
            try:
                parse_geojson(geometry)
            except ApiError as error:  # a vertex budget or a repair, which these tests are not about
                assert "antimeridian" not in error.message, (path.name, feature.get("properties"))
            checked += 1
    assert checked > 300
