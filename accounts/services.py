"""Writes on accounts: registering, logging in (rate-limited), issuing and revoking tokens."""

import hashlib
import secrets
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import authenticate, get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone

from accounts.models import ApiToken, LoginAttempt
from geoschema.errors import ApiError, Code

User = get_user_model()


def token_hash(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


@transaction.atomic
def user_register(*, email: str, password: str, display_name: str = "") -> tuple[User, str]:
    """A new resident account and its first token. Passwords go through Django's validators."""
    email = email.strip().lower()
    validate_email(email)
    if User.objects.filter(username=email).exists():
        raise ApiError(Code.CONFLICT, f"an account already uses {email}: log in instead")
    user = User(username=email, email=email, first_name=display_name[:150])
    validate_password(password, user)
    user.set_password(password)
    user.full_clean()
    user.save()
    return user, token_issue(user=user)


def user_login(*, email: str, password: str) -> tuple[User, str]:
    """A token for the account, unless there were too many recent failures for it."""
    email = email.strip().lower()
    window = timezone.now() - timedelta(minutes=settings.QUARTIER["LOGIN_WINDOW_MINUTES"])
    failures = LoginAttempt.objects.filter(email=email, succeeded=False, at__gte=window).count()
    if failures >= settings.QUARTIER["LOGIN_MAX_FAILURES"]:
        raise ApiError(Code.LIMIT_EXCEEDED, "too many failed logins for this account: wait a few minutes")
    user = authenticate(username=email, password=password)
    LoginAttempt.objects.create(email=email, succeeded=user is not None)
    if user is None:
        raise ApiError(Code.UNAUTHENTICATED, "wrong email or password")
    return user, token_issue(user=user)


def token_issue(*, user: User) -> str:
    raw = secrets.token_urlsafe(32)
    ApiToken.objects.create(
        user=user,
        key_hash=token_hash(raw),
        expires_at=timezone.now() + timedelta(days=settings.QUARTIER["TOKEN_DAYS"]),
    )
    return raw


def token_user(raw: str) -> User | None:
    """The user of a valid (known, unexpired, unrevoked) token."""
    token = (
        ApiToken.objects.select_related("user")
        .filter(key_hash=token_hash(raw), revoked_at__isnull=True, expires_at__gt=timezone.now())
        .first()
    )
    return token.user if token and token.user.is_active else None


def token_revoke(*, raw: str) -> bool:
    return (
        ApiToken.objects.filter(key_hash=token_hash(raw), revoked_at__isnull=True).update(revoked_at=timezone.now()) > 0
    )
