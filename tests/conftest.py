"""Shared test set-up: the real PostGIS test database, loaded once per run with real open data
from ../shared/data (Montreal boroughs, housing neighbourhoods, points of interest) and a
deterministic synthetic activity over them."""

import json
import os
from pathlib import Path

import pytest
from django.core.management import call_command
from django.test import Client

SHARED_DATA = Path(os.environ.get("QUARTIER_SHARED_DATA", Path(__file__).resolve().parents[2] / "shared" / "data"))
MONTREAL = SHARED_DATA / "montreal"
BOROUGHS = MONTREAL / "arrondissements_19_derived.geojson"
QUARTIERS = MONTREAL / "quartiers_reference_habitation_91.geojson"
POINTS_OF_INTEREST = MONTREAL / "lieux_interet_3231.geojson"
SEED = {"offers": 4000, "needs": 600, "seed": 7}


def load_geojson(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """The test database, with Montreal's layers, points of interest and seeded offers and needs."""
    assert BOROUGHS.exists(), f"the shared data is missing: {SHARED_DATA} (set QUARTIER_SHARED_DATA)"
    with django_db_blocker.unblock():
        call_command("import_boundaries", str(BOROUGHS), layer="mtl-boroughs", name="Montréal boroughs")
        call_command(
            "import_boundaries",
            str(QUARTIERS),
            layer="mtl-quartiers",
            kind="NEIGHBOURHOOD",
            name="Montréal housing neighbourhoods",
            parent_layer="mtl-boroughs",
        )
        call_command(
            "import_places",
            str(POINTS_OF_INTEREST),
            source="mtl-lieux",
            name_field="Nom français",
            address_field=["Numéro", "rue"],
        )
        call_command("seed_demo", **SEED)


@pytest.fixture
def gql(db):
    """POST a GraphQL query the way a map frontend does; returns the decoded JSON answer."""
    client = Client(HTTP_HOST="localhost")

    def post(query: str, variables: dict | None = None, expect_errors: bool = False, token: str | None = None) -> dict:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        response = client.post(
            "/graphql", {"query": query, "variables": variables or {}}, content_type="application/json", headers=headers
        )
        assert response.status_code == 200, response.content
        body = response.json()
        if not expect_errors:
            assert "errors" not in body, body["errors"]
        return body

    return post


def codes(body: dict) -> list[str]:
    return [error["extensions"]["code"] for error in body.get("errors", [])]


REGISTER = """mutation($email: String!, $password: String!) {
  register(email: $email, password: $password, displayName: "Test") { token user { email } }
}"""


@pytest.fixture
def register(gql):
    """Register a person and return their bearer token."""

    def make(email: str, password: str = "a long enough passphrase 42") -> str:
        return gql(REGISTER, {"email": email, "password": password})["data"]["register"]["token"]

    return make
