"""Given a staff account, when passwords are guessed on the admin's login page, then the attempts
are recorded and rate-limited with the API's: after LOGIN_MAX_FAILURES failures even the right
password is refused, on the admin page and on the API alike, with a message that says why."""

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from accounts.models import LoginAttempt
from tests.conftest import codes

pytestmark = pytest.mark.django_db
STAFF = "staff@example.org"
PASSPHRASE = "a long admin passphrase"
LOGIN = """mutation($email: String!, $password: String!) { login(email: $email, password: $password) { token } }"""
LOCKED = b"Too many failed logins for this account"


@pytest.fixture
def staff():
    return get_user_model().objects.create_superuser(STAFF, STAFF, PASSPHRASE)


def admin_login(client: Client, password: str, username: str = STAFF):
    return client.post("/admin/login/?next=/admin/", {"username": username, "password": password})


def logged_in(client: Client) -> bool:
    return client.get("/admin/").status_code == 200


def test_the_right_password_logs_in_and_is_recorded(staff):
    client = Client(HTTP_HOST="localhost")
    response = admin_login(client, PASSPHRASE)
    assert response.status_code == 302 and logged_in(client)
    assert list(LoginAttempt.objects.filter(email=STAFF).values_list("succeeded", flat=True)) == [True]


def test_guesses_on_the_admin_page_are_rate_limited_and_recorded(staff, settings, gql):
    limit = settings.QUARTIER["LOGIN_MAX_FAILURES"]
    client = Client(HTTP_HOST="localhost")
    for _ in range(limit):
        response = admin_login(client, "a wrong guess")
        assert response.status_code == 200 and b"Please enter the correct" in response.content
    assert LoginAttempt.objects.filter(email=STAFF, succeeded=False).count() == limit

    response = admin_login(client, PASSPHRASE)
    assert response.status_code == 200 and LOCKED in response.content, "refused, and told why"
    assert not logged_in(client)
    assert LoginAttempt.objects.filter(email=STAFF).count() == limit, "a refused attempt checks nothing"
    # The API counts the same failures: the account is locked out there too.
    assert codes(gql(LOGIN, {"email": STAFF, "password": PASSPHRASE}, expect_errors=True)) == ["LIMIT_EXCEEDED"]


def test_an_account_locked_out_of_the_api_is_locked_out_of_the_admin(staff, settings, gql):
    for _ in range(settings.QUARTIER["LOGIN_MAX_FAILURES"]):
        gql(LOGIN, {"email": STAFF, "password": "a wrong guess"}, expect_errors=True)
    client = Client(HTTP_HOST="localhost")
    response = admin_login(client, PASSPHRASE, username=STAFF.upper())  # any case of the name counts
    assert response.status_code == 200 and LOCKED in response.content
    assert not logged_in(client)


def test_a_resident_with_the_right_password_still_does_not_enter_the_admin():
    get_user_model().objects.create_user("resident@example.org", "resident@example.org", PASSPHRASE)
    client = Client(HTTP_HOST="localhost")
    response = admin_login(client, PASSPHRASE, username="resident@example.org")
    assert response.status_code == 200 and b"Please enter the correct" in response.content
    assert not logged_in(client)
