"""Given an author's post, when an edit changes nothing (no field given, or the same text again) then
the post is not marked edited; when the post is deleted twice then the second deletion changes
nothing: it keeps the moment of the first."""

import pytest
from django.contrib.auth import get_user_model
from django.contrib.gis.geos import Point
from strawberry.relay import GlobalID

from accounts.services import token_issue
from feed import services
from feed.models import Post
from places.models import Building
from tests.conftest import codes

pytestmark = pytest.mark.django_db
UPDATE = """mutation($p: ID!, $body: String, $title: String) {
  updatePost(postId: $p, body: $body, title: $title) { body title editedAt } }"""
DELETE = """mutation($p: ID!) { deletePost(postId: $p) { body deletedAt } }"""


@pytest.fixture
def notice():
    """A building's notice, its author's token and a neighbour's."""
    User = get_user_model()
    author, neighbour = (User.objects.create_user(f"{n}@example.org", password="x" * 20) for n in ("ana", "ben"))
    building = Building.objects.create(name="4520 rue A", location=Point(-73.58, 45.52, srid=4326))
    post = services.post_create(user=author, title="Water", body="Cut on Tuesday", building=building)
    return {
        "post": post,
        "id": str(GlobalID("Post", str(post.pk))),
        "author": token_issue(user=author),
        "neighbour": token_issue(user=neighbour),
    }


def test_an_edit_that_changes_nothing_leaves_the_post_unedited(gql, notice):
    for variables in ({}, {"body": "Cut on Tuesday"}, {"title": " Water ", "body": "Cut on Tuesday  "}):
        answer = gql(UPDATE, {"p": notice["id"], **variables}, token=notice["author"])["data"]["updatePost"]
        assert answer == {"body": "Cut on Tuesday", "title": "Water", "editedAt": None}, variables
    assert Post.objects.get(pk=notice["post"].pk).edited_at is None


def test_an_edit_that_changes_something_marks_it_and_a_later_empty_one_keeps_that_mark(gql, notice):
    edited = gql(UPDATE, {"p": notice["id"], "body": "Cut on Wednesday"}, token=notice["author"])
    at = edited["data"]["updatePost"]["editedAt"]
    assert at and edited["data"]["updatePost"]["body"] == "Cut on Wednesday"
    assert gql(UPDATE, {"p": notice["id"]}, token=notice["author"])["data"]["updatePost"]["editedAt"] == at
    assert gql(UPDATE, {"p": notice["id"], "title": ""}, token=notice["author"])["data"]["updatePost"]["editedAt"] > at


def test_an_empty_edit_by_someone_else_is_still_forbidden(gql, notice):
    assert codes(gql(UPDATE, {"p": notice["id"]}, token=notice["neighbour"], expect_errors=True)) == ["FORBIDDEN"]


def test_deleting_twice_keeps_the_first_deletion(gql, notice):
    first = gql(DELETE, {"p": notice["id"]}, token=notice["author"])["data"]["deletePost"]
    again = gql(DELETE, {"p": notice["id"]}, token=notice["author"])["data"]["deletePost"]
    assert first["deletedAt"] and again == first == {"body": "", "deletedAt": first["deletedAt"]}
    assert codes(gql(DELETE, {"p": notice["id"]}, token=notice["neighbour"], expect_errors=True)) == ["FORBIDDEN"]
    assert codes(gql(UPDATE, {"p": notice["id"]}, token=notice["author"], expect_errors=True)) == ["CONFLICT"]
