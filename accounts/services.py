"""Writes on accounts: registering, logging in (rate-limited), issuing and revoking tokens, and
communities with their members."""

import hashlib
import secrets
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import authenticate, get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import PermissionDenied
from django.core.validators import validate_email
from django.db import connection, transaction
from django.utils import timezone

from accounts.models import ApiToken, Community, LoginAttempt, Membership
from accounts.permissions import acts_for, can_attach_to_building, can_manage_community
from geoschema.errors import ApiError, Code, bad_input, not_found
from geoschema.texts import is_blank, trim
from places.models import Building, Organisation

User = get_user_model()
# An account's email is its username too: the shorter of the two columns bounds it.
EMAIL_MAX_LENGTH = User._meta.get_field("username").max_length
DISPLAY_NAME_MAX_LENGTH = User._meta.get_field("first_name").max_length
# Room for any passphrase, refused beyond before anything reads it: the validators and the hasher
# work in proportion to a password's length (a hasher that re-hashes it on each of its iterations,
# as Django's PBKDF2 did until CVE-2013-1443, multiplies that by a million), and only a denial of
# service needs a megabyte of password.
PASSWORD_MAX_LENGTH = 1024


def token_hash(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def _check_lengths(*, email: str, password: str) -> None:
    if len(email) > EMAIL_MAX_LENGTH:
        raise bad_input(f"an email has at most {EMAIL_MAX_LENGTH} characters (this one has {len(email)})")
    if len(password) > PASSWORD_MAX_LENGTH:
        raise bad_input(f"a password has at most {PASSWORD_MAX_LENGTH} characters (this one has {len(password)})")


@transaction.atomic
def user_register(*, email: str, password: str, display_name: str = "") -> tuple[User, str]:
    """A new resident account and its first token. Passwords go through Django's validators."""
    email = email.strip().lower()
    _check_lengths(email=email, password=password)
    display_name = trim(display_name)
    if len(display_name) > DISPLAY_NAME_MAX_LENGTH:
        raise bad_input(
            f"displayName has at most {DISPLAY_NAME_MAX_LENGTH} characters (this one has {len(display_name)})"
        )
    if display_name and is_blank(display_name):
        raise bad_input("displayName cannot be only invisible characters (leave it empty for none)")
    validate_email(email)
    if User.objects.filter(username=email).exists():
        raise ApiError(Code.CONFLICT, f"an account already uses {email}: log in instead")
    user = User(username=email, email=email, first_name=display_name)
    validate_password(password, user)
    user.set_password(password)
    user.full_clean()
    user.save()
    return user, token_issue(user=user)


# The advisory locks of login attempts, one per account: the first key of PostgreSQL's two-key form
# says what the second (a hash of the normalised email) is about, so no other lock can share them.
LOGIN_LOCK_CLASS = 0x4C4F47  # "LOG"


def login_key(username: str) -> str:
    """What login attempts are counted by: an account's name, as any case of it is typed."""
    return username.strip().lower()


def user_authenticate(*, username: str, password: str, request=None) -> User:
    """The account for a username and password, checked under the rate limit that every way in (the
    API's `login`, the admin's login page) shares: after LOGIN_MAX_FAILURES failures for an account
    within LOGIN_WINDOW_MINUTES, no password of it is checked until the window has moved on.

    Attempts for one account run one at a time: a transaction-scoped advisory lock on the account's
    name is taken before the failures are counted and held until the attempt is recorded, so that
    many simultaneous guesses cannot all be counted before any of them is recorded. Every checked
    attempt is recorded and committed, also when it fails (unless a caller's transaction around
    this one rolls back)."""
    key = login_key(username)
    _check_lengths(email=key, password=password)  # no account has longer ones: nothing to hash or count
    window = timezone.now() - timedelta(minutes=settings.QUARTIER["LOGIN_WINDOW_MINUTES"])
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s, hashtext(%s))", [LOGIN_LOCK_CLASS, key])
        failures = LoginAttempt.objects.filter(email=key, succeeded=False, at__gte=window).count()
        if failures >= settings.QUARTIER["LOGIN_MAX_FAILURES"]:
            user, limited = None, True
        else:
            user, limited = authenticate(request, username=username, password=password), False
            LoginAttempt.objects.create(email=key, succeeded=user is not None)
    if limited:
        raise ApiError(Code.LIMIT_EXCEEDED, "too many failed logins for this account: wait a few minutes")
    if user is None:
        raise ApiError(Code.UNAUTHENTICATED, "wrong email or password")
    return user


def user_login(*, email: str, password: str) -> tuple[User, str]:
    """A token for the account, unless there were too many recent failures for it."""
    user = user_authenticate(username=login_key(email), password=password)
    return user, token_issue(user=user)


def token_issue(*, user: User) -> str:
    raw = secrets.token_urlsafe(32)
    now = timezone.now()
    ApiToken.objects.create(
        user=user,
        key_hash=token_hash(raw),
        expires_at=now + timedelta(days=settings.QUARTIER["TOKEN_DAYS"]),
        last_write_at=now,  # a new account or session reads what it just became, from the primary
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


@transaction.atomic
def community_create(
    *,
    user,
    name: str,
    kind: str = Community.Kind.OTHER,
    description: str = "",
    organisation: Organisation | None = None,
    building: Building | None = None,
) -> Community:
    """A new members-only space; `user` becomes its first manager. A community in an organisation's
    name (a cooperative's) is created by one of its members; one that is a building's own, whose
    items the building's lobby screen shows to anyone passing by, by staff."""
    if organisation is not None and not acts_for(user, organisation):
        raise PermissionDenied(f"you are not a member of {organisation.name}")
    if building is not None and not can_attach_to_building(user, building):
        raise PermissionDenied(
            "only staff attach a community to a building (its lobby screen shows the community's items): "
            "create it without buildingId, or ask staff"
        )
    community = Community(name=name, kind=kind, description=description, organisation=organisation, building=building)
    community.full_clean()
    community.save()
    Membership.objects.create(community=community, user=user, role=Membership.Role.MANAGER)
    return community


def _locked_memberships(community: Community) -> list[Membership]:
    """The community's memberships, for a change that must leave it a manager. The community's row
    is locked first, so two such changes of one community (two managers demoting or removing each
    other) run one after the other, and the second counts the managers the first left. FOR NO KEY
    UPDATE: what is being posted in the community meanwhile does not wait for it."""
    Community.objects.select_for_update(no_key=True).filter(pk=community.pk).values_list("pk").first()
    return list(Membership.objects.select_for_update(of=("self",)).filter(community=community).select_related("user"))


def _managers(memberships: list[Membership]) -> int:
    return sum(m.role == Membership.Role.MANAGER for m in memberships)


@transaction.atomic
def community_add_member(*, user, community: Community, email: str, role: str = Membership.Role.MEMBER) -> Membership:
    """A manager adds a person (by the email of their account), or changes their role. A community
    keeps at least one manager: its last one is not made a plain member."""
    memberships = _locked_memberships(community)  # first: who manages it may have just changed
    if not can_manage_community(user, community):
        raise PermissionDenied("only the community's managers add members")
    person = User.objects.filter(username=email.strip().lower(), is_active=True).first()
    if person is None:
        raise not_found(f"no account uses {email}: the person registers first")
    current = next((m for m in memberships if m.user_id == person.pk), None)
    if (
        current is not None
        and current.role == Membership.Role.MANAGER
        and role != Membership.Role.MANAGER
        and _managers(memberships) == 1
    ):
        raise ApiError(
            Code.CONFLICT, "the last manager cannot become a plain member: make another member a manager first"
        )
    membership, _ = Membership.objects.update_or_create(community=community, user=person, defaults={"role": role})
    return membership


@transaction.atomic
def community_remove_member(*, user, community: Community, email: str) -> bool:
    """A manager removes a member; anyone may leave. A community keeps at least one manager."""
    email = email.strip().lower()
    memberships = _locked_memberships(community)  # first: who manages it may have just changed
    if email != user.username and not can_manage_community(user, community):
        raise PermissionDenied("only the community's managers remove others")
    leaving = next((m for m in memberships if m.user.username == email), None)
    if leaving is None:
        raise not_found(f"{email} is not a member of {community.name}")
    if leaving.role == Membership.Role.MANAGER and _managers(memberships) == 1 and len(memberships) > 1:
        raise ApiError(Code.CONFLICT, "the last manager cannot leave: make another member a manager first")
    leaving.delete()
    return True
