"""Given the API's plain HTTP endpoints (tiles, exports), when a request names no tile or export,
uses another method, sends more parameters than Django reads or meets an unexpected failure, then
the answer is JSON with a code, like GraphQL's errors, never Django's HTML page or a 500 page; the
demo map and the admin keep Django's own answers."""

import pytest
from django.db import DataError, OperationalError
from django.test import Client

from geoschema import tiles

pytestmark = pytest.mark.django_db

TILE_PATHS = (
    "tiles are /tiles/<layer>/<z>/<x>/<y>.pbf, layer one of offers, needs, projects, events, pois, districts, "
    "z 0 to 22, x and y 0 to 2^z - 1"
)
EXPORT_PATHS = (
    "exports are /exports/<dataset>.<geojson|csv>, dataset one of offers, needs, projects, points-of-interest, "
    "area-stats"
)


def client() -> Client:
    return Client(HTTP_HOST="localhost", enforce_csrf_checks=True, raise_request_exception=False)


def error_of(response) -> tuple[int, str, str]:
    """(status, code, message) of a JSON error."""
    assert response["Content-Type"] == "application/json", response.content[:200]
    body = response.json()
    [error] = body["errors"]
    assert set(body) == {"errors"} and set(error) == {"message", "extensions"}, body
    return response.status_code, error["extensions"]["code"], error["message"]


@pytest.mark.parametrize(
    "path,message",
    [
        ("/tiles/offers/1/2.pbf", f"no tile at /tiles/offers/1/2.pbf: {TILE_PATHS}"),
        ("/tiles/offers/100/0/0.pbf", f"no tile at /tiles/offers/100/0/0.pbf: {TILE_PATHS}"),
        ("/tiles/offers/12/123456789/0.pbf", f"no tile at /tiles/offers/12/123456789/0.pbf: {TILE_PATHS}"),
        ("/tiles/offers/12/1/1.png", f"no tile at /tiles/offers/12/1/1.png: {TILE_PATHS}"),
        ("/tiles/Offers/12/1/1.pbf", f"no tile at /tiles/Offers/12/1/1.pbf: {TILE_PATHS}"),
        ("/tiles/", f"no tile at /tiles/: {TILE_PATHS}"),
        (
            "/tiles/unknownlayer/1/2/3.pbf",
            "no tile layer 'unknownlayer': offers, needs, projects, events, pois, districts",
        ),
        ("/tiles/offers/99/0/0.pbf", "no tile 99/0/0: zoom is 0 to 22"),
        ("/tiles/offers/23/0/0.pbf", "no tile 23/0/0: zoom is 0 to 22"),
        ("/tiles/offers/0/1/0.pbf", "no tile 0/1/0: at zoom 0, x and y are 0 to 0"),
        (
            "/tiles/districts/12/1209/4096.pbf?layer=mtl-boroughs",
            "no tile 12/1209/4096: at zoom 12, x and y are 0 to 4095",
        ),
        ("/exports/offers.xml", f"no export at /exports/offers.xml: {EXPORT_PATHS}"),
        ("/exports/offers", f"no export at /exports/offers: {EXPORT_PATHS}"),
        ("/exports/offers.csv/", f"no export at /exports/offers.csv/: {EXPORT_PATHS}"),
        ("/exports/", f"no export at /exports/: {EXPORT_PATHS}"),
        ("/exports/nothing.geojson", "no export 'nothing': offers, needs, projects, points-of-interest, area-stats"),
    ],
)
def test_a_path_that_names_no_tile_or_export_is_a_json_not_found(path, message):
    assert error_of(client().get(path)) == (404, "NOT_FOUND", message)


def test_the_demo_map_and_the_admin_keep_djangos_answers():
    """The map and the admin are pages; any other path that names nothing is the API's JSON 404
    (tests/api/test_http.py checks it with DEBUG off, as in production)."""
    assert client().get("/nothing").status_code == 404
    assert client().get("/")["Content-Type"].startswith("text/html")
    assert client().get("/admin/").status_code == 302  # to the admin's login page


@pytest.mark.parametrize("path", ["/tiles/offers/14/4843/5859.pbf", "/exports/offers.csv"])
@pytest.mark.parametrize("method", ["post", "put", "delete"])
def test_another_method_than_get_is_a_json_405_not_a_csrf_page(path, method):
    response = getattr(client(), method)(path)
    assert error_of(response) == (405, "BAD_INPUT", f"{path} answers GET, not {method.upper()}")
    assert response["Allow"] == "GET, HEAD"


def test_head_answers_as_get_without_the_tile():
    path = "/tiles/offers/14/4843/5859.pbf"
    get, head = client().get(path), client().head(path)
    assert get.status_code == head.status_code == 200 and len(get.content) > 100
    assert head["ETag"] == get["ETag"] and head.content == b""


@pytest.mark.parametrize("path", ["/tiles/offers/14/4843/5859.pbf", "/exports/offers.csv"])
def test_more_query_parameters_than_django_reads_is_bad_input(path, settings):
    settings.DATA_UPLOAD_MAX_NUMBER_FIELDS = 10
    query = "&".join(f"kinds={n}" for n in range(11))
    assert error_of(client().get(f"{path}?{query}")) == (
        400,
        "BAD_INPUT",
        "a request takes at most 10 query parameters",
    )


def test_a_message_quotes_at_most_1000_characters_of_the_path():
    status, code, message = error_of(client().get("/exports/" + "x" * 5000 + ".csv"))
    assert (status, code) == (404, "NOT_FOUND") and len(message) == 1001 and message.endswith("x…")


@pytest.mark.parametrize(
    "failure,status,code,message",
    [
        (DataError("value too long"), 400, "BAD_INPUT", "a value cannot be stored: value too long"),
        (
            OperationalError("canceling statement due to statement timeout"),
            400,
            "LIMIT_EXCEEDED",
            "the query took too long: narrow the area or the page",
        ),
        (
            OperationalError("server closed the connection unexpectedly"),
            503,
            "UNAVAILABLE",
            "the database is not available right now: try again shortly",
        ),
        (RuntimeError("a bug, with a secret"), 500, "INTERNAL", "internal error: it has been logged"),
    ],
)
def test_a_failure_inside_a_tile_is_classified_as_in_graphql(monkeypatch, failure, status, code, message):
    def fail(*args):
        raise failure

    monkeypatch.setattr(tiles, "_tile", fail)
    assert error_of(client().get("/tiles/offers/14/4843/5859.pbf")) == (status, code, message)
