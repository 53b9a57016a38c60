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


@pytest.mark.parametrize("path", ["/favicon.ico", "/static/nothing-here.js", "/robots.txt", "/api/v1/offers"])
def test_a_path_that_names_nothing_is_a_json_not_found(settings, path):
    """With DEBUG off (production), every answer of the API is JSON, a 404 too."""
    settings.DEBUG = False
    response = Client(HTTP_HOST="localhost").get(path)
    assert response.status_code == 404 and response["Content-Type"] == "application/json", response.content[:200]
    [error] = response.json()["errors"]
    assert error["extensions"]["code"] == "NOT_FOUND" and path in error["message"] and "/graphql" in error["message"]


def test_the_admin_keeps_its_own_not_found_page(settings):
    settings.DEBUG = False
    from django.contrib.auth import get_user_model

    get_user_model().objects.create_superuser("admin@example.org", "admin@example.org", "a long admin passphrase")
    client = Client(HTTP_HOST="localhost")
    assert client.login(username="admin@example.org", password="a long admin passphrase")
    response = client.get("/admin/unicorns/")
    assert response.status_code == 404 and response["Content-Type"].startswith("text/html")


def test_a_failure_no_view_caught_is_a_json_internal_error(settings, monkeypatch):
    """Django's last resort (handler500) answers in the API's JSON too, with nothing of the failure."""
    settings.DEBUG = False
    from geoschema import urls, views

    assert urls.handler500 is views.server_error and urls.handler404 is views.not_found

    def broken(request):
        raise RuntimeError("secret detail")

    healthz = next(pattern for pattern in urls.urlpatterns if str(pattern.pattern) == "healthz")
    monkeypatch.setattr(healthz, "callback", broken)
    response = Client(HTTP_HOST="localhost", raise_request_exception=False).get("/healthz")
    assert response.status_code == 500 and response["Content-Type"] == "application/json", response.content[:200]
    [error] = response.json()["errors"]
    assert error["extensions"]["code"] == "INTERNAL" and "secret" not in error["message"]
