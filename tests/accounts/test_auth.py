"""Given a person, when they register, log in and out, then tokens work, are stored hashed, are
revoked on logout, and guessing passwords is rate-limited."""

import pytest

from accounts.models import ApiToken
from tests.conftest import codes

pytestmark = pytest.mark.django_db
ME = "{ me { email displayName } }"
LOGIN = """mutation($email: String!, $password: String!) { login(email: $email, password: $password) { token } }"""


def test_register_then_the_token_identifies_the_caller(gql, register):
    token = register("ana@example.org")
    assert gql(ME, token=token)["data"]["me"] == {"email": "ana@example.org", "displayName": "Test"}
    assert gql(ME)["data"]["me"] is None
    assert not ApiToken.objects.filter(key_hash=token).exists(), "tokens are stored hashed"
    assert ApiToken.objects.filter(user__email="ana@example.org").count() == 1


def test_a_second_account_with_the_same_email_is_a_conflict(gql, register):
    register("bo@example.org")
    body = gql(
        'mutation { register(email: "BO@example.org", password: "another long passphrase") { token } }',
        expect_errors=True,
    )
    assert codes(body) == ["CONFLICT"]


@pytest.mark.parametrize("password", ["short", "password", "12345678901"])
def test_weak_passwords_are_refused_by_django_validators(gql, password):
    body = gql(
        'mutation($p: String!) { register(email: "cy@example.org", password: $p) { token } }',
        {"p": password},
        expect_errors=True,
    )
    assert codes(body) == ["BAD_INPUT"]


def test_login_and_logout(gql, register):
    register("di@example.org", "correct horse battery staple")
    token = gql(LOGIN, {"email": "di@example.org", "password": "correct horse battery staple"})["data"]["login"][
        "token"
    ]
    assert gql(ME, token=token)["data"]["me"]["email"] == "di@example.org"
    assert gql("mutation { logout }", token=token)["data"]["logout"] is True
    assert gql(ME, token=token)["data"]["me"] is None, "a revoked token is anonymous"
    assert codes(gql("mutation { logout }", token=token, expect_errors=True)) == ["UNAUTHENTICATED"]


def test_wrong_passwords_are_rate_limited(gql, register, settings):
    register("ed@example.org", "correct horse battery staple")
    for _ in range(settings.QUARTIER["LOGIN_MAX_FAILURES"]):
        assert codes(gql(LOGIN, {"email": "ed@example.org", "password": "guess"}, expect_errors=True)) == [
            "UNAUTHENTICATED"
        ]
    body = gql(LOGIN, {"email": "ed@example.org", "password": "correct horse battery staple"}, expect_errors=True)
    assert codes(body) == ["LIMIT_EXCEEDED"]
