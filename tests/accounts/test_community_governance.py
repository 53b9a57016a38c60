"""Given a building on the Plateau and people with no tie to it, then only staff attach a community
to the building (its lobby screen shows that community's members-only items to anyone passing by),
anyone logged in still creates a community of their own, and a community always keeps a manager:
its last one can neither leave nor demote themself, not even two managers at the same moment."""

import threading
import time

import pytest
from django.contrib.auth import get_user_model
from django.contrib.gis.geos import Point
from django.core.exceptions import PermissionDenied
from django.db import connection, transaction
from strawberry.relay import GlobalID

from accounts import services as accounts
from accounts.models import Community, Membership
from accounts.services import token_issue
from geoschema.errors import ApiError
from offers import services as offers
from places.models import Building
from places.services import located_assign_districts
from tests.conftest import codes

HERE = Point(-73.5800, 45.5200, srid=4326)  # the Plateau
CREATE = """mutation($name: String!, $b: ID) {
  createCommunity(input: {name: $name, kind: BUILDING, buildingId: $b}) { id name building { id } } }"""
ROLE = """mutation($c: ID!, $email: String!, $role: MemberRole!) {
  addCommunityMember(communityId: $c, email: $email, role: $role) { members { displayName role } } }"""
DIGEST = "query($b: ID!) { digest(buildingId: $b) { needs { id title } } }"


def gid(thing) -> str:
    return str(GlobalID(type(thing).__name__, str(thing.pk)))


def written() -> tuple[int, int]:
    return Community.objects.count(), Membership.objects.count()


def roles_in(community: Community) -> dict[str, str]:
    return dict(Membership.objects.filter(community=community).values_list("user__username", "role"))


@pytest.fixture
def people(db):
    """bob lives nowhere near the building, staff runs the platform."""
    User = get_user_model()
    bob = User.objects.create_user("bob@example.org", password="x" * 20, first_name="bob")
    staff = User.objects.create_user("staff@example.org", password="x" * 20, is_staff=True)
    building = Building.objects.create(name="4520 rue A", location=HERE)
    located_assign_districts(building)
    return {"bob": bob, "staff": staff, "building": building}


@pytest.fixture
def coop(db):
    """alice manages the co-op's community (its only manager), carol is a member."""
    User = get_user_model()
    alice, carol = (User.objects.create_user(f"{n}@example.org", password="x" * 20) for n in ("alice", "carol"))
    community = accounts.community_create(user=alice, name="Coop des Érables", kind="COOPERATIVE")
    accounts.community_add_member(user=alice, community=community, email="carol@example.org")
    return {"alice": alice, "carol": carol, "community": community}


def test_a_person_with_no_tie_to_a_building_cannot_attach_a_community_to_it(gql, people):
    before = written()
    body = gql(
        CREATE,
        {"name": "bob comm", "b": gid(people["building"])},
        token=token_issue(user=people["bob"]),
        expect_errors=True,
    )
    assert body["data"] is None and codes(body) == ["FORBIDDEN"]
    assert "staff" in body["errors"][0]["message"]
    assert written() == before, "no community, no membership"
    assert not Community.objects.filter(building=people["building"]).exists()


def test_the_service_refuses_it_too_and_writes_nothing(people):
    before = written()
    with pytest.raises(PermissionDenied, match="only staff"):
        accounts.community_create(user=people["bob"], name="bob comm", building=people["building"])
    assert written() == before


def test_staff_attach_a_community_to_a_building_and_its_lobby_shows_its_items(gql, people):
    building = people["building"]
    created = gql(CREATE, {"name": "Tenants of A", "b": gid(building)}, token=token_issue(user=people["staff"]))
    assert created["data"]["createCommunity"]["building"]["id"] == gid(building)
    tenants = Community.objects.get(name="Tenants of A")
    assert tenants.building == building and roles_in(tenants) == {"staff@example.org": "MANAGER"}
    # the staff member hands it over to a resident, who posts for the building's residents
    accounts.community_add_member(user=people["staff"], community=tenants, email="bob@example.org", role="MANAGER")
    need = offers.need_create(user=people["bob"], title="Tenants only", kind="MEAL", location=HERE, community=tenants)
    assert gid(need) in {n["id"] for n in gql(DIGEST, {"b": gid(building)})["data"]["digest"]["needs"]}


def test_a_community_of_ones_own_stays_open_to_anyone_logged_in(gql, people):
    created = gql(CREATE, {"name": "bob comm", "b": None}, token=token_issue(user=people["bob"]))["data"][
        "createCommunity"
    ]
    assert created["name"] == "bob comm" and created["building"] is None
    assert roles_in(Community.objects.get(name="bob comm")) == {"bob@example.org": "MANAGER"}


def test_what_an_outsider_posts_never_reaches_a_buildings_lobby(gql, people):
    """The probe's path: bob tries to attach his community to the building, then posts members-only
    needs in every community he has; the lobby screen shows none of them to a passer-by."""
    bob, building = people["bob"], people["building"]
    gql(CREATE, {"name": "bob comm", "b": gid(building)}, token=token_issue(user=bob), expect_errors=True)
    accounts.community_create(user=bob, name="bob's own", kind="OTHER")
    posted = {
        gid(offers.need_create(user=bob, title="Members only", kind="MEAL", location=HERE, community=community))
        for community in Community.objects.filter(memberships__user=bob)
    }
    assert len(posted) >= 1
    assert not posted & {n["id"] for n in gql(DIGEST, {"b": gid(building)})["data"]["digest"]["needs"]}


def test_the_last_manager_cannot_demote_themself(gql, coop):
    community, token = coop["community"], token_issue(user=coop["alice"])
    before = roles_in(community)
    body = gql(
        ROLE, {"c": gid(community), "email": "alice@example.org", "role": "MEMBER"}, token=token, expect_errors=True
    )
    assert body["data"] is None and codes(body) == ["CONFLICT"]
    assert "last manager" in body["errors"][0]["message"]
    assert roles_in(community) == before == {"alice@example.org": "MANAGER", "carol@example.org": "MEMBER"}


def test_the_only_member_cannot_demote_themself_either(coop):
    alone = accounts.community_create(user=coop["carol"], name="Carol's", kind="OTHER")
    with pytest.raises(ApiError) as refused:
        accounts.community_add_member(user=coop["carol"], community=alone, email="carol@example.org", role="MEMBER")
    assert refused.value.code == "CONFLICT"
    assert roles_in(alone) == {"carol@example.org": "MANAGER"}


def test_a_manager_steps_down_once_another_manager_is_named(gql, coop):
    community, token = coop["community"], token_issue(user=coop["alice"])
    gql(ROLE, {"c": gid(community), "email": "CAROL@example.org ", "role": "MANAGER"}, token=token)
    gql(ROLE, {"c": gid(community), "email": "alice@example.org", "role": "MEMBER"}, token=token)
    assert roles_in(community) == {"alice@example.org": "MEMBER", "carol@example.org": "MANAGER"}
    # re-adding a member with the role they have changes nothing, even for the last manager
    carol = token_issue(user=coop["carol"])
    gql(ROLE, {"c": gid(community), "email": "carol@example.org", "role": "MANAGER"}, token=carol)
    assert roles_in(community) == {"alice@example.org": "MEMBER", "carol@example.org": "MANAGER"}


def one_while_the_other_is_open(first, second) -> list[str]:
    """`first()` runs in a transaction held open until `second()`, on another connection, has
    started (and a little longer); then it commits. Their outcomes, in order of completion."""
    outcomes, first_done, second_started = [], threading.Event(), threading.Event()

    def attempt(change, hold: bool) -> None:
        try:
            with transaction.atomic():
                change()
                if hold:
                    first_done.set()
                    second_started.wait(timeout=5)
                    time.sleep(0.5)  # `second` reads, or waits for a lock, meanwhile
            outcomes.append("changed")
        except ApiError as exc:
            outcomes.append(exc.code)
        except PermissionDenied:
            outcomes.append("FORBIDDEN")
        finally:
            first_done.set()
            connection.close()

    def later() -> None:
        first_done.wait(timeout=5)
        second_started.set()
        attempt(second, hold=False)

    threads = [threading.Thread(target=attempt, args=(first, True)), threading.Thread(target=later)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return outcomes


@pytest.fixture
def committed_coop(django_db_blocker):
    """Outside a test transaction (the threads must see its rows; it cleans up after itself): alice
    and carol manage a community, dan is a member."""
    with django_db_blocker.unblock():
        User = get_user_model()
        alice, carol, dan = (
            User.objects.create_user(f"race-{n}@example.org", password="x" * 20) for n in ("alice", "carol", "dan")
        )
        community = accounts.community_create(user=alice, name="Race coop", kind="COOPERATIVE")
        accounts.community_add_member(user=alice, community=community, email=carol.username, role="MANAGER")
        accounts.community_add_member(user=alice, community=community, email=dan.username)
        try:
            yield {"alice": alice, "carol": carol, "community": community}
        finally:
            community.delete()
            User.objects.filter(pk__in=[alice.pk, carol.pk, dan.pk]).delete()


def demote(by, who, community):
    return lambda: accounts.community_add_member(user=by, community=community, email=who.username, role="MEMBER")


def leave(who, community):
    return lambda: accounts.community_remove_member(user=who, community=community, email=who.username)


@pytest.mark.parametrize(
    "change, refused",
    [
        (lambda a, c, com: (demote(a, a, com), demote(c, c, com)), "CONFLICT"),  # both step down
        (lambda a, c, com: (demote(a, c, com), demote(c, a, com)), "FORBIDDEN"),  # each demotes the other
        (lambda a, c, com: (leave(a, com), leave(c, com)), "CONFLICT"),  # both leave
        (lambda a, c, com: (demote(a, a, com), leave(c, com)), "CONFLICT"),
    ],
    ids=["both-step-down", "each-demotes-the-other", "both-leave", "one-steps-down-one-leaves"],
)
def test_two_managers_stepping_down_at_once_leave_one_manager(committed_coop, change, refused):
    """alice and carol, the two managers, step down at the same moment from separate connections:
    the first change wins; the second, which waits for it, finds the other manager gone and is
    refused (CONFLICT; FORBIDDEN when it was the caller who lost the role). One manager is left."""
    community = committed_coop["community"]
    first, second = change(committed_coop["alice"], committed_coop["carol"], community)
    assert one_while_the_other_is_open(first, second) == ["changed", refused]
    assert list(roles_in(community).values()).count("MANAGER") == 1
