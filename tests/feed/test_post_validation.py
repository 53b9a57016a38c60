"""Given a resident of a building, when they post, reply or edit with a body of only spaces or of
a megabyte, then they get BAD_INPUT and nothing is written or changed."""

import pytest
from django.contrib.auth import get_user_model
from django.contrib.gis.geos import Point
from strawberry.relay import GlobalID

from accounts.services import token_issue
from feed import services
from feed.models import BODY_MAX_LENGTH, Post
from places.models import Building
from tests.conftest import codes

pytestmark = pytest.mark.django_db
HUGE = "x" * 1_000_000


def gid(thing) -> str:
    return str(GlobalID(type(thing).__name__, str(thing.pk)))


@pytest.fixture
def lobby():
    """A building, a resident and their first post."""
    user = get_user_model().objects.create_user("lobby@example.org", password="x" * 20)
    building = Building.objects.create(name="4520 rue A", location=Point(-73.58, 45.52, srid=4326))
    post = services.post_create(user=user, body="Laundry room closed Friday", building=building)
    return {"token": token_issue(user=user), "building": building, "post": post}


def refused(gql, query: str, variables: dict, token: str) -> str:
    before = list(Post.objects.order_by("id").values_list("id", "title", "body"))
    body = gql(query, variables, token=token, expect_errors=True)
    assert codes(body) == ["BAD_INPUT"], body
    assert list(Post.objects.order_by("id").values_list("id", "title", "body")) == before
    return body["errors"][0]["message"]


CREATE = "mutation($b: String!, $on: ID!) { createPost(input: {body: $b, buildingId: $on}) { id body } }"
REPLY = "mutation($b: String!, $p: ID!) { replyToPost(postId: $p, body: $b) { id body } }"
EDIT = "mutation($b: String!, $p: ID!) { updatePost(postId: $p, body: $b) { id body } }"


def every_way(lobby, text: str) -> list[tuple[str, dict]]:
    """A post, a reply and an edit of the lobby's post, each with the body `text`."""
    post = gid(lobby["post"])
    return [
        (CREATE, {"b": text, "on": gid(lobby["building"])}),
        (REPLY, {"b": text, "p": post}),
        (EDIT, {"b": text, "p": post}),
    ]


@pytest.mark.parametrize(
    "text,says",
    [
        (HUGE, f"a post has at most {BODY_MAX_LENGTH} characters"),
        (" \n ", "a post cannot be blank"),
        ("\u200b", "a post cannot be blank"),
        ("\u2060\ufeff", "a post cannot be blank"),
        ("\u00a0\u200c\u200d\u3000", "a post cannot be blank"),
    ],
)
def test_a_post_a_reply_and_an_edit_with_a_bad_body_write_nothing(gql, lobby, text, says):
    for query, variables in every_way(lobby, text):
        assert says in refused(gql, query, variables, lobby["token"])


def test_a_post_of_the_largest_size_is_accepted(lobby):
    user = lobby["post"].owner
    post = services.post_create(user=user, body="x" * BODY_MAX_LENGTH, building=lobby["building"])
    assert len(post.body) == BODY_MAX_LENGTH


TITLED = """mutation($t: String!, $on: ID!) {
  createPost(input: {title: $t, body: "Hello", buildingId: $on}) { id title } }"""


def test_a_post_title_is_trimmed_and_one_of_only_invisible_characters_is_no_title(gql, lobby):
    def title(sent: str) -> str:
        body = gql(TITLED, {"t": sent, "on": gid(lobby["building"])}, token=lobby["token"])
        return body["data"]["createPost"]["title"]

    assert title("\u200b Water cut\u00a0") == "Water cut"
    assert title("\u200b\u2060") == ""


def test_a_post_title_too_long_is_refused_naming_the_title(gql, lobby):
    message = refused(gql, TITLED, {"t": "t" * 201, "on": gid(lobby["building"])}, lobby["token"])
    assert "a title has at most 200 characters (this one has 201)" in message


def test_a_post_body_is_trimmed_of_invisible_characters_at_its_ends_on_every_path(gql, lobby):
    sent = "\u200b\ufeff Bike room open \u2060"
    for query, variables in every_way(lobby, sent):
        [answer] = gql(query, variables, token=lobby["token"])["data"].values()
        stored = Post.objects.get(pk=GlobalID.from_id(answer["id"]).node_id).body
        assert answer["body"] == stored == "Bike room open"
