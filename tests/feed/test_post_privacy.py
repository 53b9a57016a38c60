"""Given a partner's members-only boundary layer (the communes of Lille's metropolis) and a post one
of its members addresses to the commune of Lille, then the post, its replies and the district they
name reach the partner's members only: an outsider with a token and an anonymous caller find it
in no feed, no lobby digest and no `node(id:)`, and cannot post to that commune either. The lobby
screen is anonymous: it shows posts to districts of public layers only."""

import pytest

from feed import services
from places.models import District
from tests.conftest import codes
from tests.feed.test_feed import DIGEST, building_at, feed_ids, gid, street  # noqa: F401 (a fixture)
from tests.places.test_partner_layers import IMPORT, partner, upload_input  # noqa: F401 (a fixture)

pytestmark = pytest.mark.django_db
LILLE = {"longitude": 3.0573, "latitude": 50.6292}
CREATE = """mutation($d: ID!) { createPost(input: {districtId: $d, body: "Braderie: stalls on rue Nationale"}) {
  id district { name } } }"""
REPLY = """mutation($p: ID!) { replyToPost(postId: $p, body: "Which day?") { id } }"""
NODE = """query($id: ID!) { node(id: $id) { ... on Post { id body district { name code geometry
  layer { slug name extent } } replies { id } } } }"""
TOTAL = """query($p: PointInput, $b: ID, $d: ID) { feed(point: $p, buildingId: $b, districtId: $d) { totalCount } }"""


@pytest.fixture
def braderie(gql, partner):  # noqa: F811
    """The members-only communes layer, a building in Lille, a member's post to Lille and a reply."""
    gql(IMPORT, {"input": upload_input(partner, visibility="MEMBERS")}, token=partner["member"])
    lille = District.objects.get(layer__slug="mel-communes", code="59350")
    hall = building_at(LILLE["longitude"], LILLE["latitude"], "Hall on rue Nationale")
    assert hall.districts.filter(pk=lille.pk).exists()
    post = gql(CREATE, {"d": gid(lille)}, token=partner["member"])["data"]["createPost"]
    reply = gql(REPLY, {"p": post["id"]}, token=partner["member"])["data"]["replyToPost"]
    return {"district": lille, "hall": hall, "post": post["id"], "reply": reply["id"], **partner}


def test_members_of_the_partner_see_the_post_to_their_members_only_district(gql, braderie):
    member = braderie["member"]
    for place in ({"p": LILLE}, {"b": gid(braderie["hall"])}, {"d": gid(braderie["district"])}):
        assert braderie["post"] in feed_ids(gql, member, **place), place
        assert braderie["reply"] in feed_ids(gql, member, **place), place
    node = gql(NODE, {"id": braderie["post"]}, token=member)["data"]["node"]
    assert node["district"]["name"] == "Lille" and node["district"]["layer"]["slug"] == "mel-communes"
    assert node["replies"] == [{"id": braderie["reply"]}]


@pytest.mark.parametrize("who", ["outsider", "anonymous"])
def test_nobody_else_finds_the_post_nor_its_district(gql, braderie, who):
    token = braderie.get(who)
    for place in ({"p": LILLE}, {"b": gid(braderie["hall"])}):
        ids = feed_ids(gql, token, **place)
        assert braderie["post"] not in ids and braderie["reply"] not in ids, place
        variables = {"p": None, "b": None, "d": None, **place}
        assert gql(TOTAL, variables, token=token)["data"]["feed"]["totalCount"] == 0, place
    district = {"p": None, "b": None, "d": gid(braderie["district"])}
    assert codes(gql(TOTAL, district, token=token, expect_errors=True)) == ["NOT_FOUND"]
    for post in (braderie["post"], braderie["reply"]):
        answer = gql(NODE, {"id": post}, token=token, expect_errors=True)
        assert answer["data"]["node"] is None and codes(answer) == ["NOT_FOUND"], answer
    assert "Lille" not in str(gql(DIGEST, {"b": gid(braderie["hall"])}, token=token))


def test_an_outsider_cannot_post_to_reply_to_edit_or_delete_there(gql, braderie):
    outsider = braderie["outsider"]
    assert codes(gql(CREATE, {"d": gid(braderie["district"])}, token=outsider, expect_errors=True)) == ["NOT_FOUND"]
    assert codes(gql(REPLY, {"p": braderie["post"]}, token=outsider, expect_errors=True)) == ["NOT_FOUND"]
    edit = """mutation($p: ID!) { updatePost(postId: $p, body: "Cancelled") { id } }"""
    delete = """mutation($p: ID!) { deletePost(postId: $p) { id } }"""
    for mutation in (edit, delete):
        assert codes(gql(mutation, {"p": braderie["post"]}, token=outsider, expect_errors=True)) == ["NOT_FOUND"]


def test_the_lobby_screen_shows_no_post_to_a_members_only_district_even_to_a_member(gql, braderie):
    """A screen in a hall is seen by anyone passing by, whoever's token asks for it."""
    building_post = services.post_create(
        user=braderie["org"].members.get(), body="Bins out on Monday", building=braderie["hall"]
    )
    for token in (braderie["member"], None):
        posts = [p["id"] for p in gql(DIGEST, {"b": gid(braderie["hall"])}, token=token)["data"]["digest"]["posts"]]
        assert posts == [gid(building_post)], token


def test_the_lobby_screen_still_shows_posts_to_public_districts(gql, street):  # noqa: F811
    quartier = street["a"].districts.get(layer__slug="mtl-quartiers")
    post = services.post_create(user=street["ana"], body="Street party", district=quartier)
    reply = services.post_reply(user=street["ben"], parent=post, body="Count me in")
    shown = [p["id"] for p in gql(DIGEST, {"b": gid(street["a"])})["data"]["digest"]["posts"]]
    assert shown == [gid(post)], "the thread, not its replies"
    assert gid(reply) in feed_ids(gql, b=gid(street["a"])) and gid(post) in feed_ids(gql, b=gid(street["a"]))
