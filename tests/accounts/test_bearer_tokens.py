"""Given a client that sends an Authorization header, when the header names no live token (unknown,
revoked, expired, of a deactivated account, or not `Bearer <token>` at all), then the API says so
with UNAUTHENTICATED on /graphql, /tiles and /exports, rather than answering as if to an anonymous
caller; with no header at all the caller is anonymous, as before."""

from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.utils import timezone

from accounts.models import ApiToken
from accounts.services import token_hash
from tests.conftest import codes

pytestmark = pytest.mark.django_db
ME = "{ me { email } }"
OFFERS = "{ offers(first: 1) { totalCount } }"
TILE = "/tiles/offers/14/4850/5845.pbf"
EXPORT = "/exports/offers.csv?bbox=-73.59,45.51,-73.57,45.53"


def spoil(token: str, how: str) -> dict:
    """The Authorization header of a token made unusable `how`."""
    row = ApiToken.objects.get(key_hash=token_hash(token))
    if how == "revoked":
        row.revoked_at = timezone.now()
    elif how == "expired":
        row.expires_at = timezone.now() - timedelta(seconds=1)
    elif how == "deactivated":
        get_user_model().objects.filter(pk=row.user_id).update(is_active=False)
    row.save()
    return {"Authorization": f"Bearer {token}"}


REFUSED_HEADERS = {
    "unknown": lambda token: {"Authorization": "Bearer not-a-token-anyone-was-given"},
    "revoked": lambda token: spoil(token, "revoked"),
    "expired": lambda token: spoil(token, "expired"),
    "deactivated": lambda token: spoil(token, "deactivated"),
    "empty bearer": lambda token: {"Authorization": "Bearer "},
    "other scheme": lambda token: {"Authorization": f"Basic {token}"},
    "no scheme": lambda token: {"Authorization": token},
}


@pytest.fixture
def refused_header(register, request):
    return REFUSED_HEADERS[request.param](register("ana@example.org"))


def graphql(query: str, headers: dict) -> tuple[int, dict]:
    response = Client(HTTP_HOST="localhost").post(
        "/graphql", {"query": query}, content_type="application/json", headers=headers
    )
    return response.status_code, response.json()


@pytest.mark.parametrize("refused_header", list(REFUSED_HEADERS), indirect=True)
@pytest.mark.parametrize("query", [ME, OFFERS, "mutation { logout }"], ids=["me", "public-list", "logout"])
def test_graphql_refuses_credentials_that_name_no_live_token(refused_header, query):
    status, body = graphql(query, refused_header)
    assert status == 200 and body["data"] is None and codes(body) == ["UNAUTHENTICATED"], body
    assert "token" in body["errors"][0]["message"] or "Authorization" in body["errors"][0]["message"]


@pytest.mark.parametrize("refused_header", list(REFUSED_HEADERS), indirect=True)
@pytest.mark.parametrize("path", [TILE, EXPORT], ids=["tile", "export"])
def test_tiles_and_exports_refuse_them_with_a_401(refused_header, path):
    response = Client(HTTP_HOST="localhost").get(path, headers=refused_header)
    assert response.status_code == 401 and response["Content-Type"] == "application/json", response.content[:200]
    [error] = response.json()["errors"]
    assert error["extensions"]["code"] == "UNAUTHENTICATED"


def test_no_header_is_an_anonymous_caller_and_a_live_token_its_holder(register):
    token = register("bo@example.org")
    assert graphql(ME, {}) == (200, {"data": {"me": None}})
    assert graphql(ME, {"Authorization": f"Bearer {token}"}) == (200, {"data": {"me": {"email": "bo@example.org"}}})
    assert graphql(ME, {"Authorization": f"bearer   {token} "})[1]["data"]["me"] == {"email": "bo@example.org"}
    client = Client(HTTP_HOST="localhost")
    for path in (TILE, EXPORT):
        assert client.get(path).status_code in (200, 204), path
        assert client.get(path, headers={"Authorization": f"Bearer {token}"}).status_code in (200, 204), path


def test_the_admin_pages_ignore_the_header(register):
    """The rule is the API's: the admin (a browser's session) is not asked for a bearer token."""
    response = Client(HTTP_HOST="localhost").get("/admin/login/", headers={"Authorization": "Bearer nonsense"})
    assert response.status_code == 200
