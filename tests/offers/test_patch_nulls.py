"""Given an offer, when its owner sends a patch with an explicit null for a field that cannot be
empty, then the answer is BAD_INPUT naming the field (never CONFLICT, which a client would retry
forever), and nothing is written; a null where the field may be empty clears it."""

from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.contrib.gis.geos import Point
from django.db import IntegrityError, transaction
from graphql import GraphQLError
from strawberry.relay import GlobalID

from geoschema.errors import ApiError, Code, format_error
from offers import services
from offers.models import HelpKind, Offer
from tests.conftest import codes

pytestmark = pytest.mark.django_db
HERE = Point(-73.58, 45.522, srid=4326)
UPDATE_OFFER = "mutation($id: ID!, $i: OfferPatch!) { updateOffer(id: $id, input: $i) { id quantity } }"
NOT_NULL = ["title", "description", "categories", "unit", "serviceRadiusMeters", "location"]


@pytest.fixture
def owner(register):
    token = register("patcher@example.org")
    return token, get_user_model().objects.get(username="patcher@example.org")


@pytest.fixture
def offer(owner):
    _, user = owner
    return services.offer_create(
        user=user,
        title="Drill",
        kind=HelpKind.LOAN,
        location=HERE,
        quantity=Decimal(2),
        unit="items",
        description="A good drill",
        categories=["tools"],
    )


def snapshot(offer: Offer) -> tuple:
    offer = Offer.objects.get(pk=offer.pk)
    return (
        offer.title,
        offer.description,
        offer.categories,
        offer.unit,
        offer.service_radius_m,
        offer.location.coords,
        offer.quantity,
    )


@pytest.mark.parametrize("field", NOT_NULL)
def test_a_null_for_a_field_that_cannot_be_empty_is_bad_input_naming_it(gql, owner, offer, field):
    token, _ = owner
    before = snapshot(offer)
    variables = {"id": str(GlobalID("Offer", str(offer.pk))), "i": {field: None, "title": "Renamed"}}
    if field == "title":
        variables["i"] = {"title": None}
    body = gql(UPDATE_OFFER, variables, token=token, expect_errors=True)
    assert codes(body) == ["BAD_INPUT"], body
    message = body["errors"][0]["message"]
    assert message.startswith(f"{field} cannot be null"), message
    assert "leave it out" in message
    assert snapshot(offer) == before


def test_a_null_where_the_field_may_be_empty_clears_it(gql, owner, offer):
    token, _ = owner
    variables = {"id": str(GlobalID("Offer", str(offer.pk))), "i": {"quantity": None}}
    assert gql(UPDATE_OFFER, variables, token=token)["data"]["updateOffer"]["quantity"] is None
    assert Offer.objects.get(pk=offer.pk).quantity is None


@pytest.mark.parametrize("field,named", [("unit", "unit"), ("service_radius_m", "serviceRadiusMeters")])
def test_the_service_refuses_the_null_on_its_own(owner, offer, field, named):
    _, user = owner
    before = snapshot(offer)
    with pytest.raises(ApiError) as refused:
        services.offer_update(user=user, offer=offer, **{field: None})
    assert refused.value.code == Code.BAD_INPUT
    assert refused.value.message.startswith(f"{named} cannot be null")
    assert snapshot(offer) == before


def test_a_not_null_violation_that_reaches_the_api_is_bad_input_never_conflict(offer):
    with pytest.raises(IntegrityError) as raised, transaction.atomic():
        Offer.objects.filter(pk=offer.pk).update(unit=None)
    formatted = format_error(GraphQLError("updateOffer", original_error=raised.value))
    assert formatted["extensions"]["code"] == "BAD_INPUT"
    assert formatted["message"] == "unit cannot be null: give a value"
    assert Offer.objects.get(pk=offer.pk).unit == "items"


def test_other_integrity_errors_are_still_a_conflict():
    formatted = format_error(GraphQLError("register", original_error=IntegrityError("duplicate key value")))
    assert formatted["extensions"]["code"] == "CONFLICT"
