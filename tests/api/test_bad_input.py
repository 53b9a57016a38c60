"""Given a client that sends something wrong, when it asks, then it gets an error with a code
(API.md) and a message that says what to fix: never a 500, never a traceback, nothing written."""

import base64
import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError, OperationalError, ProgrammingError
from django.test import Client
from graphql import GraphQLError
from strawberry.relay import GlobalID, to_base64

from geoschema.errors import format_error
from offers.models import Need, Offer
from places.models import District, PointOfInterest
from tests.conftest import codes

pytestmark = pytest.mark.django_db

OFFERS = """query($spatial: SpatialFilter, $first: Int, $after: String, $orderBy: OrderBy) {
  offers(spatial: $spatial, first: $first, after: $after, orderBy: $orderBy) { totalCount }
}"""
MONTREAL = {"longitude": -73.57, "latitude": 45.5}
SQUARE = [[-73.6, 45.5], [-73.5, 45.5], [-73.5, 45.6], [-73.6, 45.6], [-73.6, 45.5]]


EPSG_3857 = {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::3857"}}


def near(point=None, radius=500.0):
    return {"near": {"point": point or MONTREAL, "radiusMeters": radius}}


def bbox(west, south, east, north):
    return {"bbox": {"west": west, "south": south, "east": east, "north": north}}


def geometry(value):
    return {"withinGeometry": value}


CASES = {
    "latitude above 90": ({"spatial": near({"longitude": -73.57, "latitude": 91})}, "BAD_INPUT", "latitude"),
    "latitude below -90": ({"spatial": near({"longitude": -73.57, "latitude": -90.5})}, "BAD_INPUT", "latitude"),
    "longitude above 180": ({"spatial": near({"longitude": 180.1, "latitude": 45})}, "BAD_INPUT", "longitude"),
    "longitude below -180": ({"spatial": near({"longitude": -200, "latitude": 45})}, "BAD_INPUT", "longitude"),
    "zero radius": ({"spatial": near(radius=0)}, "BAD_INPUT", "radiusMeters"),
    "negative radius": ({"spatial": near(radius=-5)}, "BAD_INPUT", "radiusMeters"),
    "radius above the maximum": ({"spatial": near(radius=5_000_000)}, "LIMIT_EXCEEDED", "radiusMeters"),
    "inverted bbox (west > east)": ({"spatial": bbox(-73.5, 45.5, -73.6, 45.6)}, "BAD_INPUT", "inverted"),
    "inverted bbox (south > north)": ({"spatial": bbox(-73.6, 45.6, -73.5, 45.5)}, "BAD_INPUT", "inverted"),
    "bbox out of range": ({"spatial": bbox(-73.6, 45.5, -73.5, 95)}, "BAD_INPUT", "latitudes"),
    "continent-size bbox": ({"spatial": bbox(-130, 25, -60, 50)}, "LIMIT_EXCEEDED", "degrees"),
    "a line is not an area": (
        {"spatial": geometry({"type": "LineString", "coordinates": SQUARE})},
        "BAD_INPUT",
        "Polygon or MultiPolygon",
    ),
    "unclosed ring": (
        {"spatial": geometry({"type": "Polygon", "coordinates": [SQUARE[:-1] + [[-73.59, 45.59]]]})},
        "BAD_INPUT",
        "not closed",
    ),
    "too few positions": (
        {"spatial": geometry({"type": "Polygon", "coordinates": [[[-73.6, 45.5], [-73.5, 45.5], [-73.6, 45.5]]]})},
        "BAD_INPUT",
        "at least 4",
    ),
    "self-intersecting bow tie": (
        {
            "spatial": geometry(
                {
                    "type": "Polygon",
                    "coordinates": [[[-73.6, 45.5], [-73.5, 45.6], [-73.5, 45.5], [-73.6, 45.6], [-73.6, 45.5]]],
                }
            )
        },
        "BAD_INPUT",
        "not valid",
    ),
    "wrong nesting": ({"spatial": geometry({"type": "Polygon", "coordinates": SQUARE})}, "BAD_INPUT", "position"),
    "coordinates out of range": (
        {"spatial": geometry({"type": "Polygon", "coordinates": [[[0, 0], [0, 100], [1, 1], [0, 0]]]})},
        "BAD_INPUT",
        "outside",
    ),
    "unknown geometry type": (
        {"spatial": geometry({"type": "Circle", "coordinates": [0, 0]})},
        "BAD_INPUT",
        "type must be",
    ),
    "string that is not JSON": ({"spatial": geometry("{not json")}, "BAD_INPUT", "not valid JSON"),
    "too many vertices": (
        {
            "spatial": geometry(
                {
                    "type": "Polygon",
                    "coordinates": [[[-73.6 + i * 1e-6, 45.5] for i in range(12000)] + [[-73.5, 45.6], [-73.6, 45.5]]],
                }
            )
        },
        "LIMIT_EXCEEDED",
        "vertices",
    ),
    "unknown district": (
        {"spatial": {"withinDistrict": str(GlobalID("District", "999999"))}},
        "NOT_FOUND",
        "no district",
    ),
    "id of another type": ({"spatial": {"withinDistrict": str(GlobalID("Offer", "1"))}}, "BAD_INPUT", "District"),
    "id that is not an id": ({"spatial": {"withinDistrict": "not-an-id"}}, "BAD_INPUT", "GlobalID"),
    "page too large": ({"first": 501}, "LIMIT_EXCEEDED", "at most 500"),
    "negative page": ({"first": -1}, "BAD_INPUT", "0 or more"),
    "cursor from elsewhere": ({"spatial": near(), "orderBy": "DISTANCE", "after": "bm9wZQ=="}, "BAD_INPUT", "cursor"),
    "cursor before the start": ({"after": to_base64("arrayconnection", -5)}, "BAD_INPUT", "cursor"),
    "distance order without a point": ({"orderBy": "DISTANCE"}, "BAD_INPUT", "near"),
    "cursor beyond any list": ({"after": to_base64("arrayconnection", 10**20)}, "BAD_INPUT", "cursor"),
    "GeoJSON in another CRS": (
        {"spatial": geometry({"type": "Polygon", "coordinates": [SQUARE], "crs": EPSG_3857})},
        "BAD_INPUT",
        "reproject",
    ),
    "GeoJSON with a crs member that names nothing": (
        {"spatial": geometry({"type": "Polygon", "coordinates": [SQUARE], "crs": {"type": "name"}})},
        "BAD_INPUT",
        "crs member",
    ),
    "GeoJSON type that is a list": (
        {"spatial": geometry({"type": ["Polygon"], "coordinates": [SQUARE]})},
        "BAD_INPUT",
        "type must be",
    ),
    "GeoJSON string nested 100,000 deep": (
        {"spatial": geometry("[" * 100_000 + "]" * 100_000)},
        "BAD_INPUT",
        "not valid JSON",
    ),
    "GeoJSON square across the antimeridian": (
        {
            "spatial": geometry(
                {"type": "Polygon", "coordinates": [[[179, -10], [-179, -10], [-179, 10], [179, 10], [179, -10]]]}
            )
        },
        "BAD_INPUT",
        "split the geometry at the antimeridian (RFC 7946 3.1.9)",
    ),
}


@pytest.mark.parametrize("name", list(CASES))
def test_bad_input_gets_its_code_and_writes_nothing(gql, name):
    variables, code, hint = CASES[name]
    before = (Offer.objects.count(), Need.objects.count(), District.objects.count(), PointOfInterest.objects.count())
    body = gql(OFFERS, variables, expect_errors=True)
    assert codes(body) == [code], body
    assert hint.lower() in body["errors"][0]["message"].lower(), body["errors"][0]["message"]
    assert "Traceback" not in json.dumps(body)
    assert (
        Offer.objects.count(),
        Need.objects.count(),
        District.objects.count(),
        PointOfInterest.objects.count(),
    ) == before


def test_a_3d_polygon_is_accepted_in_2d(gql):
    square_3d = [[x, y, 12.5] for x, y in SQUARE]
    flat = gql(OFFERS, {"spatial": geometry({"type": "Polygon", "coordinates": [SQUARE]})})
    lifted = gql(OFFERS, {"spatial": geometry({"type": "Polygon", "coordinates": [square_3d]})})
    assert lifted["data"]["offers"]["totalCount"] == flat["data"]["offers"]["totalCount"] > 0


@pytest.mark.parametrize(
    "crs",
    [
        {"type": "name", "properties": {"name": "urn:ogc:def:crs:OGC:1.3:CRS84"}},
        {"type": "name", "properties": {"name": "EPSG:4326"}},
        {"type": "name", "properties": {"name": "http://www.opengis.net/def/crs/EPSG/0/4326"}},
        {"type": "EPSG", "properties": {"code": 4326}},
    ],
)
def test_a_crs_member_that_names_wgs84_is_read_as_without_one(gql, crs):
    plain = gql(OFFERS, {"spatial": geometry({"type": "Polygon", "coordinates": [SQUARE]})})
    named = gql(OFFERS, {"spatial": geometry({"type": "Polygon", "coordinates": [SQUARE], "crs": crs})})
    assert named["data"] == plain["data"] and plain["data"]["offers"]["totalCount"] > 0


def test_a_geojson_string_is_accepted_like_the_object(gql):
    as_object = gql(OFFERS, {"spatial": geometry({"type": "Polygon", "coordinates": [SQUARE]})})
    as_string = gql(OFFERS, {"spatial": geometry(json.dumps({"type": "Polygon", "coordinates": [SQUARE]}))})
    assert as_string["data"] == as_object["data"]


def test_unknown_layer_is_not_found(gql):
    body = gql(
        '{ districtAt(point: {longitude: -73.57, latitude: 45.5}, layer: "atlantis") { name } }', expect_errors=True
    )
    assert codes(body) == ["NOT_FOUND"] and "atlantis" in body["errors"][0]["message"]


def test_query_depth_is_limited(gql):
    deep = "{ districts(first: 1) { edges { node { " + "parent { " * 8 + "name" + " }" * 8 + " } } } }"
    assert codes(gql(deep, expect_errors=True)) == ["LIMIT_EXCEEDED"]


def test_aliases_are_limited(gql):
    many = "{ " + " ".join(f"a{i}: layers {{ slug }}" for i in range(30)) + " }"
    assert codes(gql(many, expect_errors=True)) == ["LIMIT_EXCEEDED"]


def test_tokens_are_limited(gql):
    huge = "{ " + " ".join("layers { slug name kind }" for _ in range(400)) + " }"
    assert codes(gql(huge, expect_errors=True)) == ["LIMIT_EXCEEDED"]


def test_a_syntax_error_is_bad_input(gql):
    assert codes(gql("{ offers(first: ", expect_errors=True)) == ["BAD_INPUT"]


TYPENAME = b'{"query": "{ __typename }", "variables": {"v": VALUE}}'
BODIES = {
    "not JSON": b"{oops",
    "a string": b'"{ __typename }"',
    "null": b"null",
    "a number": b"42",
    "not UTF-8": b'{"query": "{ __typename \xff }"}',
    "a lone surrogate": TYPENAME.replace(b"VALUE", b'"\\ud800"'),
    "NaN": TYPENAME.replace(b"VALUE", b"NaN"),
    "nested 100,000 deep": TYPENAME.replace(b"VALUE", b"[" * 100_000 + b"]" * 100_000),
    "a batch": b'[{"query": "{ __typename }"}]',
}


@pytest.mark.parametrize("name", list(BODIES))
def test_a_body_that_cannot_be_read_is_a_400_with_a_code(name):
    response = Client(HTTP_HOST="localhost").post("/graphql", BODIES[name], content_type="application/json")
    assert response.status_code == 400 and response["Content-Type"] == "application/json"
    assert codes(response.json()) == ["BAD_INPUT"], response.content


def test_a_body_that_can_be_read_is_answered():
    """The reading above refuses what it must only: escapes, astral characters, deep enough JSON."""
    query = b'"query($c: String!) { offers(categories: [$c]) { totalCount } }"'
    variables = b'{"c": "caf\\u00e9 \\ud83d\\ude00 ' + "é".encode() + b'"}'
    deep = b'{"deep": ' + b"[" * 500 + b"]" * 500 + b"}"
    body = b'{"query": ' + query + b', "variables": ' + variables + b', "extensions": ' + deep + b"}"
    response = Client(HTTP_HOST="localhost").post("/graphql", body, content_type="application/json")
    assert response.status_code == 200 and response.json() == {"data": {"offers": {"totalCount": 0}}}


@pytest.mark.parametrize(
    "query", ["{}", "{ me {} }", "query { offers {} }", "{ offers { edges { node {} } } }", "mutation { logout {} }"]
)
def test_an_empty_selection_set_is_a_syntax_error(gql, query):
    body = gql(query, expect_errors=True)
    assert body["data"] is None and codes(body) == ["BAD_INPUT"], body
    assert "Syntax Error" in body["errors"][0]["message"], body


@pytest.mark.parametrize(
    "query,variables",
    [
        ("query($c: [String!]) { offers(categories: $c) { totalCount } }", {"c": ["food"] * 50_000}),
        ("query($k: [HelpKind!]) { needs(kinds: $k) { totalCount } }", {"k": ["MEAL"] * 101}),
        (  # a list inside an input object
            """mutation($i: OfferInput!) { createOffer(input: $i) { id } }""",
            {
                "i": {
                    "title": "Soup",
                    "kind": "MEAL",
                    "categories": ["soup"] * 101,
                    "location": {"longitude": -73.58, "latitude": 45.52},
                }
            },  # fmt: skip
        ),
    ],
)
def test_a_list_argument_is_bounded(gql, register, query, variables):
    token = register("ana@example.org")
    before = Offer.objects.count()
    body = gql(query, variables, token=token, expect_errors=True)
    assert body["data"] is None and codes(body) == ["LIMIT_EXCEEDED"], body
    assert "at most 100" in body["errors"][0]["message"] and Offer.objects.count() == before


def test_a_list_argument_at_the_bound_is_answered(gql):
    query = "query($c: [String!]) { offers(categories: $c) { totalCount } }"
    categories = [f"category {i}" for i in range(99)] + [Offer.objects.exclude(categories=[]).first().categories[0]]
    assert gql(query, {"c": categories})["data"]["offers"]["totalCount"] > 0


def test_several_operations_need_an_operation_name(gql):
    two = "query A { __typename } query B { layers { slug } }"
    body = gql(two, expect_errors=True)
    assert body["data"] is None and codes(body) == ["BAD_INPUT"] and "operation name" in body["errors"][0]["message"]
    assert gql("query A { __typename }")["data"] == {"__typename": "Query"}


def test_a_nul_character_is_bad_input_and_writes_nothing(gql, register):
    """PostgreSQL stores no NUL character in text: found by the schema fuzzer, it once came back as
    UNAVAILABLE, as if the database were down."""
    token = register("nul@example.org")
    before = Offer.objects.count()
    create = """mutation($t: String!) { createOffer(input: {title: $t, kind: MEAL,
                  location: {longitude: -73.58, latitude: 45.52}}) { id } }"""
    body = gql(create, {"t": "Soup\x00"}, token=token, expect_errors=True)
    assert codes(body) == ["BAD_INPUT"] and "NUL" in body["errors"][0]["message"]
    assert Offer.objects.count() == before
    body = gql(
        """query($c: String!) { pointsOfInterest(categories: [$c]) { totalCount } }""",
        {"c": "\x00"},
        expect_errors=True,
    )
    assert codes(body) == ["BAD_INPUT"]


def test_a_page_past_the_cap_names_the_cursor_to_page_with(gql):
    for argument, cursor in (("first", "after"), ("last", "before")):
        body = gql(f"{{ offers({argument}: 501) {{ totalCount }} }}", expect_errors=True)
        assert codes(body) == ["LIMIT_EXCEEDED"] and f"page with '{cursor}'" in body["errors"][0]["message"], body


def test_last_zero_is_an_empty_page_of_the_whole_count(gql):
    """`last: 0` asks for no row (Strawberry took the 0 for no `last`: every row, past the page cap),
    at the end of the list: rows lie before it, none after."""
    info = "pageInfo { hasNextPage hasPreviousPage }"
    for arguments, node in (("last: 0", "id"), ("first: 3, last: 0", "id title"), ("last: 0", "id district { name }")):
        page = gql(f"{{ offers({arguments}) {{ totalCount edges {{ node {{ {node} }} }} {info} }} }}")["data"]["offers"]
        assert page["edges"] == [] and page["totalCount"] == Offer.objects.count() > 0, (arguments, node)
        assert page["pageInfo"] == {"hasNextPage": False, "hasPreviousPage": True}, (arguments, node)


def test_last_zero_before_a_cursor_is_an_empty_page_there(gql):
    edges = gql("{ offers(first: 3) { edges { cursor } } }")["data"]["offers"]["edges"]
    query = """query($before: String) { offers(last: 0, before: $before) {
      edges { cursor } pageInfo { hasNextPage hasPreviousPage } } }"""
    first = gql(query, {"before": edges[0]["cursor"]})["data"]["offers"]
    assert first == {"edges": [], "pageInfo": {"hasNextPage": True, "hasPreviousPage": False}}
    third = gql(query, {"before": edges[2]["cursor"]})["data"]["offers"]
    assert third == {"edges": [], "pageInfo": {"hasNextPage": True, "hasPreviousPage": True}}


def test_node_ids_that_name_no_object_are_not_found(gql):
    """The node is null, as Relay clients expect, with a NOT_FOUND error (API.md: an unknown id)."""
    offer = Offer.objects.order_by("pk").first()
    query = "query($id: ID!) { node(id: $id) { id __typename } }"
    for kind, key in [("User", "1"), ("Membership", "1"), ("Match", "1"), ("offer", str(offer.pk)), ("Nowhere", "1"),
                      ("Offer", "abc"), ("Offer", ""), ("Offer", "1.0"), ("Offer", "-1"), ("Offer", "\u0661"),
                      ("Offer", "99999999999999999999999"), ("Offer", "9" * 4301), ("Node", "1"),
                      ("Offer", "987654321")]:  # fmt: skip
        body = gql(query, {"id": to_base64(kind, key)}, expect_errors=True)
        assert body["data"] == {"node": None} and codes(body) == ["NOT_FOUND"], (kind, key)
        assert len(body["errors"][0]["message"]) < 300, (kind, key)  # an id of 4,301 digits is not quoted whole
    found = gql(query, {"id": to_base64("Offer", offer.pk)})["data"]["node"]
    assert found == {"id": to_base64("Offer", offer.pk), "__typename": "Offer"}


@pytest.mark.parametrize("number", ["NaN", "sNaN", "Infinity", "-Infinity"])
def test_a_decimal_that_is_not_a_finite_number_is_bad_input(gql, register, number):
    token = register("ana@example.org")
    before = Offer.objects.count()
    create = """mutation($q: Decimal!) { createOffer(input: {title: "Flour", kind: MATERIAL, quantity: $q,
                  location: {longitude: -73.58, latitude: 45.52}}) { id } }"""
    body = gql(create, {"q": number}, token=token, expect_errors=True)
    assert codes(body) == ["BAD_INPUT"] and "finite" in body["errors"][0]["message"], body
    assert Offer.objects.count() == before


def test_a_coordinate_of_400_digits_is_bad_input(gql):
    """JSON bodies refuse such a number (orjson reads 64 bits at most); a literal in the query does not."""
    huge = "1" + "0" * 400
    ring = f"[[{huge}, 45.5], [-73.5, 45.5], [-73.5, 45.6], [{huge}, 45.5]]"
    query = f'{{ offers(spatial: {{withinGeometry: {{type: "Polygon", coordinates: [{ring}]}}}}) {{ totalCount }} }}'
    body = gql(query, expect_errors=True)
    assert codes(body) == ["BAD_INPUT"] and "finite" in body["errors"][0]["message"], body


def test_a_feed_cursor_with_numbers_json_does_not_have_is_bad_input(gql):
    feed = """query($after: String) { feed(point: {longitude: -73.58, latitude: 45.52}, after: $after) {
      edges { cursor } } }"""
    for forged in ('["2020-01-01T00:00:00", Infinity, 1]', '["2020-01-01T00:00:00", 1, NaN]', '["2020-01-01", 1.5, 2]'):
        after = base64.urlsafe_b64encode(forged.encode()).decode()
        body = gql(feed, {"after": after}, expect_errors=True)
        assert codes(body) == ["BAD_INPUT"] and "cursor" in body["errors"][0]["message"], forged


def test_a_unique_row_written_meanwhile_is_a_conflict_not_an_outage():
    """A race on a unique constraint (two registrations of one email) reaches the client as CONFLICT."""
    error = GraphQLError("register", original_error=IntegrityError("duplicate key value violates unique constraint"))
    assert format_error(error)["extensions"]["code"] == "CONFLICT"
    for failure, code in (
        (OperationalError("connection refused"), "UNAVAILABLE"),
        (ProgrammingError("bug"), "INTERNAL"),
    ):
        assert format_error(GraphQLError("x", original_error=failure))["extensions"]["code"] == code


def test_an_error_does_not_send_back_megabytes_it_quotes(gql):
    body = gql("query($l: String!) { districts(layer: $l) { totalCount } }", {"l": "x" * 5_000_000}, expect_errors=True)
    assert codes(body) == ["NOT_FOUND"] and len(body["errors"][0]["message"]) <= 1001


@pytest.mark.parametrize("file_map", ["[1]", '{"0": [5]}', '{"0": ["variables.f.x.y.z"]}', '{"0": ["variables.f.0"]}'])
def test_an_upload_whose_map_does_not_fit_is_a_400(file_map):
    """The GraphQL multipart request spec: `map` names where each file goes in `operations`."""
    operations = (
        '{"query": "mutation($f: Upload!) { importBoundaryLayer(input: {slug: \\"x\\", file: $f}) { districts } }"}'
    )
    upload = SimpleUploadedFile("zones.geojson", b"{}", content_type="application/geo+json")
    response = Client(HTTP_HOST="localhost").post("/graphql", {"operations": operations, "map": file_map, "0": upload})
    assert response.status_code == 400 and codes(response.json()) == ["BAD_INPUT"], response.content
