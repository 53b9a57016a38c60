"""Given a person, when they create a community whose name is empty, only spaces and invisible
characters, or too long, then they get BAD_INPUT naming the name and no community is written; a
name between spaces and invisible characters is trimmed."""

import pytest

from accounts.models import Community, Membership
from tests.conftest import codes

pytestmark = pytest.mark.django_db
CREATE = "mutation($n: String!) { createCommunity(input: {name: $n}) { id name } }"


@pytest.mark.parametrize(
    "name,says",
    [
        ("", "a name cannot be blank"),
        ("   ", "a name cannot be blank"),
        ("\u200b", "a name cannot be blank"),
        ("\u00a0\u2060\ufeff\u200c\u200d\u3000", "a name cannot be blank"),
        ("\u3164\u3164", "a name cannot be blank"),
        ("n" * 201, "a name has at most 200 characters (this one has 201)"),
    ],
)
def test_a_blank_or_oversized_community_name_is_refused_and_nothing_is_written(gql, register, name, says):
    token = register("founder@example.org")
    before = Community.objects.count(), Membership.objects.count()
    body = gql(CREATE, {"n": name}, token=token, expect_errors=True)
    assert codes(body) == ["BAD_INPUT"] and says in body["errors"][0]["message"], body
    assert (Community.objects.count(), Membership.objects.count()) == before


def test_a_community_name_is_trimmed_of_invisible_characters(gql, register):
    token = register("trimmer@example.org")
    created = gql(CREATE, {"n": "\ufeff\u200b Coop des Érables\u00a0"}, token=token)["data"]["createCommunity"]
    assert created["name"] == "Coop des Érables"
