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
    revoked = gql(ME, token=token, expect_errors=True)
    assert revoked["data"] is None and codes(revoked) == ["UNAUTHENTICATED"], "a revoked token is refused"
    assert codes(gql("mutation { logout }", token=token, expect_errors=True)) == ["UNAUTHENTICATED"]


def test_wrong_passwords_are_rate_limited(gql, register, settings):
    register("ed@example.org", "correct horse battery staple")
    for _ in range(settings.QUARTIER["LOGIN_MAX_FAILURES"]):
        assert codes(gql(LOGIN, {"email": "ed@example.org", "password": "guess"}, expect_errors=True)) == [
            "UNAUTHENTICATED"
        ]
    body = gql(LOGIN, {"email": "ed@example.org", "password": "correct horse battery staple"}, expect_errors=True)
    assert codes(body) == ["LIMIT_EXCEEDED"]


REGISTER = """mutation($e: String!, $p: String!, $n: String!) {
  register(email: $e, password: $p, displayName: $n) { token user { displayName } } }"""
PASSPHRASE = "a long enough passphrase 42"


def refused(gql, variables: dict, query: str = REGISTER) -> str:
    """A registration (or login) that must fail with BAD_INPUT and create no account nor token."""
    from django.contrib.auth import get_user_model

    before = get_user_model().objects.count(), ApiToken.objects.count()
    body = gql(query, variables, expect_errors=True)
    assert codes(body) == ["BAD_INPUT"], body
    assert (get_user_model().objects.count(), ApiToken.objects.count()) == before
    return body["errors"][0]["message"]


def test_a_display_name_longer_than_its_limit_is_refused_not_cut(gql):
    message = refused(gql, {"e": "long@example.org", "p": PASSPHRASE, "n": "n" * 151})
    assert "displayName has at most 150 characters (this one has 151)" in message


def test_a_display_name_of_only_invisible_characters_is_refused(gql):
    message = refused(gql, {"e": "ghost@example.org", "p": PASSPHRASE, "n": "\u200e\u200f"})
    assert "displayName cannot be only invisible characters" in message


def test_a_display_name_at_its_limit_is_kept_whole_and_trimmed(gql):
    name = gql(REGISTER, {"e": "full@example.org", "p": PASSPHRASE, "n": f"\u200b {'n' * 150}\u00a0"})
    assert name["data"]["register"]["user"]["displayName"] == "n" * 150


@pytest.mark.parametrize("length", [1025, 1_000_000])
def test_a_password_longer_than_its_limit_is_refused_before_hashing(gql, length):
    message = refused(gql, {"e": "huge@example.org", "p": "correct horse " * (length // 14 + 1), "n": ""})
    assert "a password has at most 1024 characters" in message


def test_a_password_at_its_limit_is_accepted(gql):
    password = ("correct horse battery staple " * 40)[:1024]
    gql(REGISTER, {"e": "max@example.org", "p": password, "n": ""})
    assert gql(LOGIN, {"email": "max@example.org", "password": password})["data"]["login"]["token"]


def test_logging_in_with_a_password_longer_than_any_account_has_is_refused(gql, register):
    register("fi@example.org")
    message = refused(gql, {"email": "fi@example.org", "password": "x" * 1_000_000}, query=LOGIN)
    assert "a password has at most 1024 characters" in message


def test_an_email_longer_than_an_account_name_is_refused_naming_the_email(gql):
    email = f"{'e' * 64}@{'d' * 63}.{'x' * 40}.example.org"  # a valid address of 181 characters
    assert "an email has at most 150 characters" in refused(gql, {"e": email, "p": PASSPHRASE, "n": ""})
    long_login = {"email": f"{'e' * 300}@example.org", "password": PASSPHRASE}
    assert "an email has at most 150 characters" in refused(gql, long_login, query=LOGIN)
