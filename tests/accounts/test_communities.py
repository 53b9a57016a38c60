"""Given a housing cooperative's members-only community with an offer, a need and a project in it,
then its members see them and nobody else does: not in lists, `node(id:)`, map layers, clusters,
matches, statistics, the activity grid or exports. Only members post in it, only managers add
members, and a community's offer serves only that community's needs."""

import json

import pytest
from asgiref.sync import async_to_sync
from django.contrib.auth import get_user_model
from django.contrib.gis.geos import Point
from django.test import Client
from strawberry.relay import GlobalID

from accounts import services as accounts
from accounts.models import Community, Membership
from accounts.services import token_issue
from offers import services
from offers.models import Need, Offer
from tests.conftest import codes

pytestmark = pytest.mark.django_db
HERE = (-73.5800, 45.5200)  # the Plateau
BBOX = {"west": -73.59, "south": 45.51, "east": -73.57, "north": 45.53}


def gid(thing) -> str:
    return str(GlobalID(type(thing).__name__, str(thing.pk)))


@pytest.fixture
def coop():
    """alice manages the co-op's community, carol is a member, bob is a neighbour outside it,
    and staff runs the platform; alice posted an offer, a need and a project in it."""
    User = get_user_model()
    alice, bob, carol = (
        User.objects.create_user(f"{n}@example.org", password="x" * 20) for n in ("alice", "bob", "carol")
    )
    staff = User.objects.create_user("staff@example.org", password="x" * 20, is_staff=True)
    community = accounts.community_create(user=alice, name="Coop des Érables", kind="COOPERATIVE")
    accounts.community_add_member(user=alice, community=community, email="carol@example.org")
    place = Point(*HERE, srid=4326)
    common = {"user": alice, "community": community, "location": place, "location_precision": "EXACT"}
    offer = services.offer_create(title="Coop tool shed", kind="LOAN", service_radius_m=3000, **common)
    need = services.need_create(title="Coop needs a ladder", kind="LOAN", search_radius_m=3000, **common)
    project = services.project_create(title="Coop rooftop garden", **{k: v for k, v in common.items()})
    tokens = {u.username.split("@")[0]: token_issue(user=u) for u in (alice, bob, carol, staff)}
    return {"community": community, "offer": offer, "need": need, "project": project, "tokens": tokens}


LISTS = """query($p: PointInput!) {
  offers(spatial: {near: {point: $p, radiusMeters: 300}}, first: 500) { edges { node { id community { name } } } }
  needs(spatial: {near: {point: $p, radiusMeters: 300}}, first: 500) { edges { node { id } } }
  projects(spatial: {near: {point: $p, radiusMeters: 300}}, first: 500) { edges { node { id } } }
}"""


def listed(gql, token) -> set[str]:
    data = gql(LISTS, {"p": {"longitude": HERE[0], "latitude": HERE[1]}}, token=token)["data"]
    return {e["node"]["id"] for field in ("offers", "needs", "projects") for e in data[field]["edges"]}


def test_lists_show_a_communitys_posts_to_its_members_and_staff_only(gql, coop):
    posted = {gid(coop["offer"]), gid(coop["need"]), gid(coop["project"])}
    for who in ("alice", "carol", "staff"):
        assert posted <= listed(gql, coop["tokens"][who]), who
    for who in ("bob", None):
        seen = listed(gql, coop["tokens"][who] if who else None)
        assert not posted & seen, who
    # the rest of the neighbourhood is the same for everyone
    assert listed(gql, coop["tokens"]["bob"]) == listed(gql, coop["tokens"]["carol"]) - posted


def test_node_hides_a_communitys_posts_from_outsiders(gql, coop):
    query = "query($id: ID!) { node(id: $id) { id ... on Offer { community { name } } } }"
    for thing in ("offer", "need", "project"):
        variables = {"id": gid(coop[thing])}
        for token in (coop["tokens"]["bob"], None):  # an outsider, and anyone: as if it did not exist
            body = gql(query, variables, token=token, expect_errors=True)
            assert body["data"]["node"] is None and codes(body) == ["NOT_FOUND"]
        assert gql(query, variables, token=coop["tokens"]["carol"])["data"]["node"]["id"] == gid(coop[thing])
    community = """query($id: ID!) { node(id: $id) { ... on Community { name } } }"""
    outsider = gql(community, {"id": gid(coop["community"])}, token=coop["tokens"]["bob"], expect_errors=True)
    assert outsider["data"]["node"] is None and codes(outsider) == ["NOT_FOUND"]
    assert gql(community, {"id": gid(coop["community"])}, token=coop["tokens"]["carol"])["data"]["node"]
    member_view = gql(query, {"id": gid(coop["offer"])}, token=coop["tokens"]["carol"])["data"]["node"]
    assert member_view["community"]["name"] == "Coop des Érables"


def test_map_layers_and_clusters_count_a_communitys_posts_for_members_only(gql, coop):
    layer = """query($of: MapLayerKind!, $b: BBoxInput!) { mapLayer(of: $of, spatial: {bbox: $b}, limit: 5000) }"""
    for of, thing in (("OFFER", "offer"), ("NEED", "need"), ("PROJECT", "project")):
        ids = {
            who: {
                f["id"]
                for f in gql(layer, {"of": of, "b": BBOX}, token=coop["tokens"][who])["data"]["mapLayer"]["features"]
            }
            for who in ("bob", "carol")
        }
        assert gid(coop[thing]) in ids["carol"] and gid(coop[thing]) not in ids["bob"]
        assert ids["carol"] - ids["bob"] == {gid(coop[thing])}
    clusters = "query($b: BBoxInput!) { clusters(bbox: $b, zoom: 12) }"
    total = {
        who: sum(
            f["properties"]["count"]
            for f in gql(clusters, {"b": BBOX}, token=coop["tokens"][who])["data"]["clusters"]["features"]
        )
        for who in ("bob", "carol")
    }
    assert total["carol"] == total["bob"] + 1


MATCHES = "query($id: ID!) { matches(needId: $id, first: 100) { offer { id } } }"
MATCHES_FOR_OFFER = "query($id: ID!) { matchesForOffer(offerId: $id, first: 100) { need { id } } }"


def test_a_communitys_offer_serves_its_needs_and_outsiders_never_see_them_matched(gql, coop):
    bob = get_user_model().objects.get(username="bob@example.org")
    place = Point(HERE[0] + 0.001, HERE[1], srid=4326)
    public_offer = services.offer_create(
        user=bob, title="Bob's ladder", kind="LOAN", location=place, service_radius_m=3000
    )
    dan = get_user_model().objects.create_user("dan@example.org", password="x" * 20)  # another side than bob's
    public_need = services.need_create(
        user=dan, title="Dan needs a drill", kind="LOAN", location=place, search_radius_m=3000
    )
    # the community's need takes its members' offers and public ones (never its own side's: alice
    # posted both the need and the shed); only members may ask
    carol = get_user_model().objects.get(username="carol@example.org")
    carol_offer = services.offer_create(
        user=carol, community=coop["community"], title="Carol's ladder", kind="LOAN", location=place,
        service_radius_m=3000, location_precision="EXACT",
    )  # fmt: skip
    offers = {
        m["offer"]["id"]
        for m in gql(MATCHES, {"id": gid(coop["need"])}, token=coop["tokens"]["carol"])["data"]["matches"]
    }
    assert {gid(carol_offer), gid(public_offer)} <= offers and gid(coop["offer"]) not in offers
    outsider = gql(MATCHES, {"id": gid(coop["need"])}, token=coop["tokens"]["bob"], expect_errors=True)
    assert codes(outsider) == ["NOT_FOUND"]
    # a public need never gets the community's offer, whoever asks
    for who in ("bob", "carol"):
        found = {
            m["offer"]["id"]
            for m in gql(MATCHES, {"id": gid(public_need)}, token=coop["tokens"][who])["data"]["matches"]
        }
        assert gid(public_offer) in found and gid(coop["offer"]) not in found
    # a public offer's matches list the community's need to members only
    needs = {
        who: {
            m["need"]["id"]
            for m in gql(MATCHES_FOR_OFFER, {"id": gid(public_offer)}, token=coop["tokens"][who])["data"][
                "matchesForOffer"
            ]
        }
        for who in ("bob", "carol")
    }
    assert gid(coop["need"]) in needs["carol"] and gid(coop["need"]) not in needs["bob"]
    assert gid(public_need) in needs["bob"] and gid(public_need) in needs["carol"]
    # a community's offer serves only the community's needs (of another side than its own)
    community_offer = gql(MATCHES_FOR_OFFER, {"id": gid(carol_offer)}, token=coop["tokens"]["carol"])["data"]
    assert {m["need"]["id"] for m in community_offer["matchesForOffer"]} == {gid(coop["need"])}


PLEDGE = """mutation($o: ID!, $n: ID!) { pledge(offerId: $o, needId: $n, quantity: 1) { id status } }"""


def test_pledges_across_a_community_follow_its_walls(gql, coop):
    bob = get_user_model().objects.get(username="bob@example.org")
    carol = get_user_model().objects.get(username="carol@example.org")
    place = Point(*HERE, srid=4326)
    bobs = services.offer_create(user=bob, title="Bob's ladder", kind="LOAN", location=place, quantity=1)
    carols = services.offer_create(user=carol, title="Carol's ladder", kind="LOAN", location=place, quantity=1)
    public_need = services.need_create(user=bob, title="Bob needs a drill", kind="LOAN", location=place)
    before = coop["need"].pledges.count()
    denied = gql(PLEDGE, {"o": gid(bobs), "n": gid(coop["need"])}, token=coop["tokens"]["bob"], expect_errors=True)
    assert codes(denied) == ["NOT_FOUND"]
    assert gql(PLEDGE, {"o": gid(carols), "n": gid(coop["need"])}, token=coop["tokens"]["carol"])["data"]["pledge"]
    outward = gql(
        PLEDGE, {"o": gid(coop["offer"]), "n": gid(public_need)}, token=coop["tokens"]["alice"], expect_errors=True
    )
    assert codes(outward) == ["BAD_INPUT"]
    assert coop["need"].pledges.count() == before + 1 and public_need.pledges.count() == 0


AREA_STATS = """{ areaStats(layer: "mtl-boroughs") { district { id } offers needs projects } }"""


def test_statistics_count_a_communitys_posts_for_members_only(gql, coop):
    def stats(who):
        rows = gql(AREA_STATS, token=coop["tokens"][who])["data"]["areaStats"]
        return {r["district"]["id"]: (r["offers"], r["needs"], r["projects"]) for r in rows}

    bob, carol, staff = stats("bob"), stats("carol"), stats("staff")
    differing = [d for d in bob if bob[d] != carol[d]]
    assert len(differing) == 1, "the one borough that holds the co-op"
    (borough,) = differing
    (bob_offers, bob_needs, bob_projects), (carol_offers, carol_needs, carol_projects) = bob[borough], carol[borough]
    assert (carol_offers - bob_offers, carol_needs - bob_needs) == (1, 1)
    # the borough has few projects: a count under the threshold is withheld (null) for all but staff
    assert staff[borough][2] == (bob_projects or 0) + 1 and carol_projects in (None, staff[borough][2])
    assert carol[borough][:2] == staff[borough][:2]
    grid = """query($b: BBoxInput!) { activityGrid(bbox: $b, cellMeters: 5000) }"""
    totals = {
        who: sum(
            f["properties"]["offers"] or 0
            for f in gql(grid, {"b": BBOX}, token=coop["tokens"][who])["data"]["activityGrid"]["features"]
        )
        for who in ("bob", "carol")
    }
    assert totals["carol"] == totals["bob"] + 1


def test_exports_leave_out_a_communitys_posts_for_outsiders(coop):
    bbox = f"{BBOX['west']},{BBOX['south']},{BBOX['east']},{BBOX['north']}"

    def exported(who) -> set[str]:
        headers = {"Authorization": f"Bearer {coop['tokens'][who]}"}
        response = Client(HTTP_HOST="localhost").get(f"/exports/offers.geojson?bbox={bbox}", headers=headers)
        assert response.status_code == 200

        async def read() -> bytes:
            return b"".join([chunk async for chunk in response.streaming_content])

        return {f["properties"]["id"] for f in json.loads(async_to_sync(read)())["features"]}

    assert gid(coop["offer"]) in exported("carol")
    assert exported("bob") == exported("carol") - {gid(coop["offer"])}


CREATE_OFFER = """mutation($c: ID!) { createOffer(input: {title: "Spare chairs", kind: MATERIAL,
  location: {longitude: -73.58, latitude: 45.52}, communityId: $c}) { id community { id } } }"""
ADD = """mutation($c: ID!, $e: String!) { addCommunityMember(communityId: $c, email: $e) { id members { role } } }"""
LEAVE = """mutation($c: ID!, $e: String!) { removeCommunityMember(communityId: $c, email: $e) }"""


def test_only_members_post_and_only_managers_add_members(gql, coop):
    community_id = gid(coop["community"])
    offers_before = Offer.objects.count()
    outsider = gql(CREATE_OFFER, {"c": community_id}, token=coop["tokens"]["bob"], expect_errors=True)
    assert codes(outsider) == ["NOT_FOUND"] and Offer.objects.count() == offers_before
    posted = gql(CREATE_OFFER, {"c": community_id}, token=coop["tokens"]["carol"])["data"]["createOffer"]
    assert posted["community"]["id"] == community_id
    not_manager = gql(
        ADD, {"c": community_id, "e": "bob@example.org"}, token=coop["tokens"]["carol"], expect_errors=True
    )
    assert codes(not_manager) == ["FORBIDDEN"]
    assert not Membership.objects.filter(community=coop["community"], user__username="bob@example.org").exists()
    added = gql(ADD, {"c": community_id, "e": "bob@example.org"}, token=coop["tokens"]["alice"])["data"]
    assert len(added["addCommunityMember"]["members"]) == 3
    assert gid(coop["offer"]) in listed(gql, coop["tokens"]["bob"])
    # leaving closes the door again
    assert gql(LEAVE, {"c": community_id, "e": "bob@example.org"}, token=coop["tokens"]["bob"])["data"][
        "removeCommunityMember"
    ]
    assert gid(coop["offer"]) not in listed(gql, coop["tokens"]["bob"])
    last_manager = gql(
        LEAVE, {"c": community_id, "e": "alice@example.org"}, token=coop["tokens"]["alice"], expect_errors=True
    )
    assert codes(last_manager) == ["CONFLICT"]


def test_a_projects_need_is_posted_in_the_projects_community(coop):
    alice = get_user_model().objects.get(username="alice@example.org")
    need = services.need_create(user=alice, project=coop["project"], title="Soil", kind="MATERIAL")
    assert Need.objects.get(pk=need.pk).community_id == coop["community"].pk


ME = "{ me { roles communities { name members { role } } } }"


def test_me_lists_roles_and_communities(gql, coop):
    alice = gql(ME, token=coop["tokens"]["alice"])["data"]["me"]
    assert alice["roles"] == ["RESIDENT"]
    assert alice["communities"] == [{"name": "Coop des Érables", "members": [{"role": "MANAGER"}, {"role": "MEMBER"}]}]
    assert gql(ME, token=coop["tokens"]["bob"])["data"]["me"]["communities"] == []
    assert "STAFF" in gql(ME, token=coop["tokens"]["staff"])["data"]["me"]["roles"]
    assert Community.objects.count() == 1
