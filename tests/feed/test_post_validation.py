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


@pytest.mark.parametrize("text,says", [(HUGE, f"a post has at most {BODY_MAX_LENGTH} characters"), (" \n ", "")])
def test_a_post_a_reply_and_an_edit_with_a_bad_body_write_nothing(gql, lobby, text, says):
    create = "mutation($b: String!, $on: ID!) { createPost(input: {body: $b, buildingId: $on}) { id } }"
    reply = "mutation($b: String!, $p: ID!) { replyToPost(postId: $p, body: $b) { id } }"
    edit = "mutation($b: String!, $p: ID!) { updatePost(postId: $p, body: $b) { id } }"
    post = gid(lobby["post"])
    for query, variables in (
        (create, {"b": text, "on": gid(lobby["building"])}),
        (reply, {"b": text, "p": post}),
        (edit, {"b": text, "p": post}),
    ):
        assert says in refused(gql, query, variables, lobby["token"])


def test_a_post_of_the_largest_size_is_accepted(lobby):
    user = lobby["post"].owner
    post = services.post_create(user=user, body="x" * BODY_MAX_LENGTH, building=lobby["building"])
    assert len(post.body) == BODY_MAX_LENGTH


@pytest.mark.parametrize("text", ["\u200b", "\u2060\ufeff", "\u00a0\u200c\u200d\u3000"])
def test_a_body_of_only_invisible_characters_is_blank_and_nothing_is_written(gql, lobby, text):
    create = "mutation($b: String!, $on: ID!) { createPost(input: {body: $b, buildingId: $on}) { id } }"
    reply = "mutation($b: String!, $p: ID!) { replyToPost(postId: $p, body: $b) { id } }"
    edit = "mutation($b: String!, $p: ID!) { updatePost(postId: $p, body: $b) { id } }"
    post = gid(lobby["post"])
    for query, variables in (
        (create, {"b": text, "on": gid(lobby["building"])}),
        (reply, {"b": text, "p": post}),
        (edit, {"b": text, "p": post}),
    ):
        assert "a post cannot be blank" in refused(gql, query, variables, lobby["token"])


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
    create = "mutation($b: String!, $on: ID!) { createPost(input: {body: $b, buildingId: $on}) { id body } }"
    reply = "mutation($b: String!, $p: ID!) { replyToPost(postId: $p, body: $b) { id body } }"
    edit = "mutation($b: String!, $p: ID!) { updatePost(postId: $p, body: $b) { id body } }"
    post = gid(lobby["post"])
    for query, variables in (
        (create, {"b": "\u200b\ufeff Bike room open \u2060", "on": gid(lobby["building"])}),
        (reply, {"b": "\u200bThanks!\u200d ", "p": post}),
        (edit, {"b": "\ufeffLaundry room closed Saturday\u200b", "p": post}),
    ):
        [answer] = gql(query, variables, token=lobby["token"])["data"].values()
        stored = Post.objects.get(pk=GlobalID.from_id(answer["id"]).node_id).body
        assert answer["body"] == stored == variables["b"].strip("\u200b\u200d\u2060\ufeff ")
