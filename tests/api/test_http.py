"""The HTTP face of the API: health, GraphiQL, CORS."""

import pytest
from django.test import Client, override_settings

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
