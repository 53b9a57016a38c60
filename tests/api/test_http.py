"""The HTTP face of the API: health, GraphiQL, CORS, answers let go once sent."""

import gc

import pytest
from django.test import Client, override_settings
from strawberry.types import ExecutionContext

pytestmark = pytest.mark.django_db


def test_healthz_says_ok_when_the_database_answers():
    response = Client(HTTP_HOST="localhost").get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok"}


def test_graphiql_is_served_to_a_browser():
    response = Client(HTTP_HOST="localhost").get("/graphql", HTTP_ACCEPT="text/html")
    assert response.status_code == 200 and b"graphiql" in response.content.lower()


@override_settings(CORS_ALLOWED_ORIGINS=["https://map.example.org"])
def test_cors_allows_the_configured_origin_only():
    client = Client(HTTP_HOST="localhost")
    allowed = client.options(
        "/graphql", HTTP_ORIGIN="https://map.example.org", HTTP_ACCESS_CONTROL_REQUEST_METHOD="POST"
    )
    assert allowed["access-control-allow-origin"] == "https://map.example.org"
    other = client.options(
        "/graphql", HTTP_ORIGIN="https://evil.example.com", HTTP_ACCESS_CONTROL_REQUEST_METHOD="POST"
    )
    assert "access-control-allow-origin" not in other


def test_an_encoded_answer_is_let_go_at_once(gql):
    """Strawberry's execution context, which points to an answer's data, outlives the request in a
    reference cycle until Python's cyclic collector runs: the view empties the data once encoded,
    so that a map layer of thousands of features is not held until then (geoschema.views)."""
    query = "{ mapLayer(of: OFFER, spatial: {bbox: {west: -74, south: 45.3, east: -73.4, north: 45.8}}, limit: 500) }"
    gql(query)
    gc.collect()
    gc.disable()
    try:
        answer = gql(query)
        gc.set_debug(gc.DEBUG_SAVEALL)
        gc.collect()
        contexts = [o for o in gc.garbage if isinstance(o, ExecutionContext)]
    finally:
        gc.set_debug(0)
        gc.garbage.clear()
        gc.enable()
    assert len(answer["data"]["mapLayer"]["features"]) == 500, "an answer worth holding"
    assert contexts, "the execution context is in a cycle (else this test shows nothing)"
    assert all(not context.result.data for context in contexts)
