"""A mutation that fails writes nothing, also when what fails is a field of its answer.

The services commit when they return; the fields a client selects of the result are resolved after
that (geoschema.execution runs each mutation field and its answer in one transaction)."""

import pytest

from accounts.models import LoginAttempt
from offers.models import Offer
from tests.conftest import codes

pytestmark = pytest.mark.django_db
CREATE = """mutation($title: String!) {
  createOffer(input: {title: $title, kind: MATERIAL, location: {longitude: -73.58, latitude: 45.52}}) {
    id title SELECTION } }"""
ANSWER_FAILS = 'district(layer: "mtl-boroughs") { geometry(simplifyMeters: -1) }'  # BAD_INPUT, once written


def test_an_error_in_the_answer_rolls_the_write_back(gql, register):
    token = register("ana@example.org")
    body = gql(CREATE.replace("SELECTION", ANSWER_FAILS), {"title": "Ladder"}, expect_errors=True, token=token)
    assert body["data"] is None
    assert "BAD_INPUT" in codes(body)
    assert any("createOffer wrote nothing" in error["message"] for error in body["errors"])
    assert not Offer.objects.filter(title="Ladder").exists()
    # The same mutation with an answer that can be given is written.
    written = gql(CREATE.replace("SELECTION", ""), {"title": "Ladder"}, token=token)["data"]["createOffer"]
    assert Offer.objects.filter(title="Ladder").count() == 1 and written["title"] == "Ladder"


TWO = """mutation {
  first: createOffer(input: {title: "First", kind: MEAL, location: {longitude: -73.58, latitude: 45.52}}) { id }
  second: createOffer(input: {title: "Second", kind: MEAL, location: {longitude: -73.58, latitude: 45.52}}) {
    id SELECTION } }"""


def test_a_mutation_of_several_fields_writes_all_or_nothing(gql, register):
    """The second field fails after the first was written: its error nulls the whole answer (the
    fields are non-null), and nothing of either is written; without the error, both are."""
    token = register("ana@example.org")
    body = gql(TWO.replace("SELECTION", ANSWER_FAILS), expect_errors=True, token=token)
    assert body["data"] is None and "BAD_INPUT" in codes(body)
    assert not Offer.objects.filter(title__in=["First", "Second"]).exists()
    gql(TWO.replace("SELECTION", ""), token=token)
    assert sorted(Offer.objects.filter(title__in=["First", "Second"]).values_list("title", flat=True)) == [
        "First",
        "Second",
    ]


def test_a_failed_login_is_still_counted(gql, register):
    """`login` records its failures (the rate limit counts them): that write outlives the error."""
    register("ana@example.org")
    login = 'mutation { login(email: "ana@example.org", password: "not the passphrase") { token } }'
    body = gql(login, expect_errors=True)
    assert codes(body) == ["UNAUTHENTICATED"]
    assert LoginAttempt.objects.filter(email="ana@example.org", succeeded=False).count() == 1


SOUP_INPUT = '(input: {title: "Soup", kind: MEAL, location: {longitude: -73.58, latitude: 45.52}})'
SOUP = f"createOffer{SOUP_INPUT} {{ id }}"
WRONG_LOGIN = 'login(email: "ana@example.org", password: "not the passphrase") { token }'
RIGHT_LOGIN = 'login(email: "ana@example.org", password: "a long enough passphrase 42") { token }'


@pytest.mark.parametrize(
    "operation",
    [
        f"mutation {{ {WRONG_LOGIN} {SOUP} }}",
        f"mutation {{ {SOUP} {WRONG_LOGIN} }}",
        f"mutation {{ {RIGHT_LOGIN} {SOUP} }}",
        f"mutation {{ {SOUP} ...L }} fragment L on Mutation {{ {WRONG_LOGIN} }}",
        f"mutation {{ ...L }} fragment L on Mutation {{ {SOUP} {WRONG_LOGIN} }}",
        f"mutation {{ ... on Mutation {{ {WRONG_LOGIN} }} {SOUP} }}",
        f"mutation {{ first: {WRONG_LOGIN} second: {RIGHT_LOGIN} }}",
    ],
    ids=["login-first", "login-last", "login-succeeds", "in-a-fragment", "both-in-a-fragment", "inline", "twice"],
)
def test_login_beside_another_root_field_is_refused_before_anything_runs(gql, register, operation):
    """`login` keeps its failed attempts, so it cannot share the operation's transaction; beside
    another field, its failure would null the whole answer and hide what that field committed (a
    client retrying would write it twice). It must be alone: anything else is BAD_INPUT, and
    nothing runs, neither the write nor the password check."""
    token = register("ana@example.org")
    body = gql(operation, expect_errors=True, token=token)
    assert body["data"] is None and codes(body) == ["BAD_INPUT"], body
    assert "login must be alone in its operation" in body["errors"][0]["message"]
    assert not Offer.objects.filter(title="Soup").exists()
    assert not LoginAttempt.objects.filter(email="ana@example.org").exists()


@pytest.mark.parametrize(
    "operation",
    [
        f"mutation {{ {WRONG_LOGIN} }}",
        f"mutation {{ __typename {WRONG_LOGIN} }}",
        f"mutation {{ ...L }} fragment L on Mutation {{ {WRONG_LOGIN} }}",
        f"mutation($skip: Boolean = true) {{ {WRONG_LOGIN} createOffer{SOUP_INPUT} @skip(if: $skip) {{ id }} }}",
    ],
    ids=["alone", "with-typename", "in-a-fragment", "other-skipped"],
)
def test_login_alone_runs_and_its_failure_is_counted(gql, register, operation):
    register("ana@example.org")
    body = gql(operation, expect_errors=True)
    assert body["data"] is None and codes(body) == ["UNAUTHENTICATED"], body
    assert LoginAttempt.objects.filter(email="ana@example.org", succeeded=False).count() == 1


def test_mutations_in_fragments_write_all_or_nothing_too(gql, register):
    """A fragment at the root no longer stands in for a hidden `login`: its fields share the
    operation's transaction, as any mutation's do."""
    token = register("ana@example.org")
    both = f"""mutation {{ ...F second: createOffer{SOUP_INPUT} {{ id {ANSWER_FAILS} }} }}
      fragment F on Mutation {{ first: {SOUP} }}"""
    body = gql(both, expect_errors=True, token=token)
    assert body["data"] is None and "BAD_INPUT" in codes(body), body
    assert any("createOffer wrote nothing" in error["message"] for error in body["errors"])
    assert not Offer.objects.filter(title="Soup").exists()
