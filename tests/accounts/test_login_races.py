"""Given an account, when many wrong passwords for it arrive at the same moment on separate
connections to the real database, then no more passwords are checked than the rate limit allows:
attempts for one account are counted and recorded one after the other.

Not inside a test transaction: the threads must see each other's committed attempts, so the test
cleans up after itself.
"""

import threading

import pytest
from django.contrib.auth import get_user_model
from django.db import connection

from accounts import services
from accounts.models import LoginAttempt
from geoschema.errors import ApiError

EMAIL = "race-login@example.org"
PASSPHRASE = "the right passphrase 42"


def race(attempts: int, password: str, email: str = EMAIL) -> list[str]:
    """`user_login` `attempts` times at the same moment, each from its own thread and connection."""
    barrier, outcomes = threading.Barrier(attempts), []

    def attempt():
        barrier.wait()
        try:
            services.user_login(email=email, password=password)
            outcomes.append("logged in")
        except ApiError as exc:
            outcomes.append(exc.code)
        finally:
            connection.close()

    threads = [threading.Thread(target=attempt) for _ in range(attempts)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return sorted(outcomes)


@pytest.fixture
def account(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        user = get_user_model().objects.create_user(EMAIL, EMAIL, PASSPHRASE)
        try:
            yield user
        finally:
            LoginAttempt.objects.filter(email=EMAIL).delete()
            user.delete()  # and its tokens


@pytest.fixture
def checks(monkeypatch):
    """How many passwords `user_login` had checked (by Django's `authenticate`)."""
    counted, lock = [], threading.Lock()
    check = services.authenticate

    def counting(*args, **kwargs):
        with lock:
            counted.append(1)
        return check(*args, **kwargs)

    monkeypatch.setattr(services, "authenticate", counting)
    return counted


def test_simultaneous_wrong_passwords_get_no_more_checks_than_the_limit(account, checks, settings, django_db_blocker):
    limit = settings.QUARTIER["LOGIN_MAX_FAILURES"]
    with django_db_blocker.unblock():
        outcomes = race(20, "a wrong guess")
        assert len(checks) == limit, f"{len(checks)} passwords checked, the limit is {limit}"
        assert outcomes == ["LIMIT_EXCEEDED"] * (20 - limit) + ["UNAUTHENTICATED"] * limit
        assert LoginAttempt.objects.filter(email=EMAIL, succeeded=False).count() == limit
        # The right password is refused too, unchecked, until the window moves on.
        assert race(3, PASSPHRASE) == ["LIMIT_EXCEEDED"] * 3 and len(checks) == limit


def test_simultaneous_right_passwords_all_log_in(account, checks, django_db_blocker):
    """The lock serialises attempts, it refuses none: six logins at once with the right password
    all get a token."""
    with django_db_blocker.unblock():
        assert race(6, PASSPHRASE) == ["logged in"] * 6
        assert LoginAttempt.objects.filter(email=EMAIL, succeeded=True).count() == 6


@pytest.mark.django_db  # (also what makes pytest set the test database up when this module runs alone)
def test_failures_count_for_the_account_whatever_case_its_email_is_typed_in(settings):
    get_user_model().objects.create_user(EMAIL, EMAIL, PASSPHRASE)
    for attempt in range(settings.QUARTIER["LOGIN_MAX_FAILURES"]):
        with pytest.raises(ApiError) as refused:
            services.user_login(email=f" {EMAIL.upper() if attempt % 2 else EMAIL} ", password="a wrong guess")
        assert refused.value.code == "UNAUTHENTICATED"
    with pytest.raises(ApiError) as refused:
        services.user_login(email=EMAIL, password=PASSPHRASE)
    assert refused.value.code == "LIMIT_EXCEEDED"
