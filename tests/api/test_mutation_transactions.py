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


def test_a_failed_login_beside_another_mutation_is_still_counted(gql, register):
    """An operation with `login` at its root is a transaction per field: its failure stays recorded."""
    token = register("ana@example.org")
    both = """mutation { login(email: "ana@example.org", password: "not the passphrase") { token }
      createOffer(input: {title: "Soup", kind: MEAL, location: {longitude: -73.58, latitude: 45.52}}) { id } }"""
    body = gql(both, expect_errors=True, token=token)
    assert body["data"] is None and "UNAUTHENTICATED" in codes(body)
    assert LoginAttempt.objects.filter(email="ana@example.org", succeeded=False).count() == 1
