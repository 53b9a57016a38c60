"""Given a logged-in person, when they write offers, needs, projects and pledges with values that
are not numbers, negative, inverted, blank or oversized, then each write gets BAD_INPUT (never
INTERNAL) and nothing is written; and the models and services refuse the same values on their
own, for the admin and the management commands that do not go through GraphQL."""

from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.contrib.gis.geos import Point
from django.core.exceptions import ValidationError
from strawberry.relay import GlobalID

from geoschema.errors import ApiError, Code
from offers import services
from offers.models import CATEGORIES_MAX, DESCRIPTION_MAX_LENGTH, HelpKind, Need, Offer, Pledge, Project
from tests.conftest import codes

pytestmark = pytest.mark.django_db
PLATEAU = {"longitude": -73.5800, "latitude": 45.5220}
HERE = Point(PLATEAU["longitude"], PLATEAU["latitude"], srid=4326)

CREATE_OFFER = "mutation($i: OfferInput!) { createOffer(input: $i) { id } }"
CREATE_NEED = "mutation($i: NeedInput!) { createNeed(input: $i) { id } }"
CREATE_PROJECT = "mutation($i: ProjectInput!) { createProject(input: $i) { id } }"
UPDATE_OFFER = "mutation($id: ID!, $i: OfferPatch!) { updateOffer(id: $id, input: $i) { id } }"
PLEDGE = "mutation($o: ID!, $n: ID!, $q: Decimal!) { pledge(offerId: $o, needId: $n, quantity: $q) { id } }"

NOT_NUMBERS = ["NaN", "sNaN", "-NaN"]
TOO_LONG = "d" * 1_000_000
TOO_MANY = [f"category {i}" for i in range(10_000)]


def rows() -> tuple[int, ...]:
    return Offer.objects.count(), Need.objects.count(), Project.objects.count(), Pledge.objects.count()


def refused(gql, query: str, variables: dict, token: str) -> str:
    """Run a write that must fail: BAD_INPUT, and not one row more or less anywhere."""
    before = rows()
    body = gql(query, variables, token=token, expect_errors=True)
    assert codes(body) == ["BAD_INPUT"], body
    assert rows() == before
    return body["errors"][0]["message"]


def gid(thing) -> str:
    return str(GlobalID(type(thing).__name__, str(thing.pk)))


@pytest.fixture
def person(register):
    token = register("wren@example.org")
    return token, get_user_model().objects.get(username="wren@example.org")


@pytest.mark.parametrize("quantity", NOT_NUMBERS)
@pytest.mark.parametrize("query,base", [(CREATE_OFFER, "offer"), (CREATE_NEED, "need")])
def test_a_quantity_that_is_not_a_number_is_bad_input(gql, person, query, base, quantity):
    token, _ = person
    variables = {"i": {"title": f"An {base}", "kind": "LOAN", "location": PLATEAU, "quantity": quantity}}
    refused(gql, query, variables, token)


@pytest.mark.parametrize("quantity", NOT_NUMBERS)
def test_updating_an_offer_to_a_quantity_that_is_not_a_number_changes_nothing(gql, person, quantity):
    token, user = person
    offer = services.offer_create(user=user, title="Drill", kind=HelpKind.LOAN, location=HERE, quantity=Decimal(2))
    refused(gql, UPDATE_OFFER, {"id": gid(offer), "i": {"quantity": quantity, "title": "Renamed"}}, token)
    offer.refresh_from_db()
    assert (offer.quantity, offer.title) == (Decimal(2), "Drill")


@pytest.mark.parametrize("quantity", NOT_NUMBERS)
def test_pledging_a_quantity_that_is_not_a_number_is_bad_input(gql, person, quantity):
    token, user = person
    offer = services.offer_create(user=user, title="Drill", kind=HelpKind.LOAN, location=HERE, quantity=Decimal(2))
    need = services.need_create(user=user, title="A drill", kind=HelpKind.LOAN, location=HERE, quantity=Decimal(1))
    refused(gql, PLEDGE, {"o": gid(offer), "n": gid(need), "q": quantity}, token)


@pytest.mark.parametrize("quantity", NOT_NUMBERS)
def test_services_refuse_a_quantity_that_is_not_a_number_on_their_own(person, quantity):
    """Without the GraphQL scalar: a service called by a command or a test gets BAD_INPUT too."""
    _, user = person
    before = rows()
    with pytest.raises(ValidationError):
        services.offer_create(user=user, title="Saw", kind=HelpKind.LOAN, location=HERE, quantity=Decimal(quantity))
    with pytest.raises(ValidationError):
        services.need_create(user=user, title="A saw", kind=HelpKind.LOAN, location=HERE, quantity=Decimal(quantity))
    with pytest.raises(ValidationError):
        services.project_create(user=user, title="Shed", location=HERE, funding_goal=Decimal(quantity))
    assert rows() == before

    offer = services.offer_create(user=user, title="Saw", kind=HelpKind.LOAN, location=HERE, quantity=Decimal(2))
    need = services.need_create(user=user, title="A saw", kind=HelpKind.LOAN, location=HERE, quantity=Decimal(1))
    before = rows()
    with pytest.raises(ValidationError):
        services.offer_update(user=user, offer=offer, quantity=Decimal(quantity))
    with pytest.raises(ApiError) as error:
        services.pledge_create(user=user, offer=offer, need=need, quantity=Decimal(quantity))
    assert error.value.code == Code.BAD_INPUT
    offer.refresh_from_db()
    assert offer.quantity == Decimal(2)
    assert rows() == before


@pytest.mark.parametrize("value", ["NaN", "sNaN", "Infinity", "-Infinity"])
def test_full_clean_reports_a_number_that_is_not_finite_instead_of_raising(value):
    """The admin's path: full_clean, with clean() running after clean_fields found the bad value."""
    for thing, field in (
        (Offer(title="x", kind=HelpKind.LOAN, location=HERE, quantity=Decimal(value)), "quantity"),
        (Need(title="x", kind=HelpKind.LOAN, location=HERE, quantity=Decimal(value)), "quantity"),
        (Project(title="x", location=HERE, funding_goal=Decimal(value)), "funding_goal"),
    ):
        with pytest.raises(ValidationError) as error:
            thing.full_clean()
        assert field in error.value.message_dict


@pytest.mark.parametrize(
    "overrides,says",
    [
        ({"fundingGoal": "-1"}, "funding goal must be more than 0"),
        ({"fundingGoal": "0"}, "funding goal must be more than 0"),
        ({"startsOn": "2030-02-01", "endsOn": "2030-01-01"}, "ends on or after"),
        ({"title": "   "}, "only spaces"),
        ({"title": "\t\n"}, "only spaces"),
        ({"description": TOO_LONG}, f"at most {DESCRIPTION_MAX_LENGTH} characters"),
    ],
)
def test_bad_projects_are_refused_and_nothing_is_written(gql, person, overrides, says):
    token, _ = person
    message = refused(gql, CREATE_PROJECT, {"i": {"title": "Ruelle", "location": PLATEAU, **overrides}}, token)
    assert says in message


def test_a_project_may_start_and_end_on_the_same_day(gql, person):
    token, _ = person
    project = {"title": "Corvée", "location": PLATEAU, "startsOn": "2030-01-01", "endsOn": "2030-01-01"}
    assert gql(CREATE_PROJECT, {"i": {**project, "fundingGoal": "10"}}, token=token)["data"]["createProject"]["id"]


@pytest.mark.parametrize(
    "overrides,says",
    [
        ({"title": "   "}, "a title cannot be only spaces"),
        ({"description": TOO_LONG}, f"a description has at most {DESCRIPTION_MAX_LENGTH} characters"),
        ({"categories": TOO_MANY}, f"give at most {CATEGORIES_MAX} categories (not 10000)"),
        ({"categories": ["garden", "  "]}, "a category cannot be only spaces"),
    ],
)
@pytest.mark.parametrize("query", [CREATE_OFFER, CREATE_NEED])
def test_blank_titles_and_oversized_texts_are_refused(gql, person, query, overrides, says):
    token, _ = person
    message = refused(gql, query, {"i": {"title": "Tools", "kind": "LOAN", "location": PLATEAU, **overrides}}, token)
    assert says in message


def test_the_limits_themselves_are_accepted(gql, person):
    token, _ = person
    offer = {
        "title": "Tools",
        "kind": "LOAN",
        "location": PLATEAU,
        "description": "d" * DESCRIPTION_MAX_LENGTH,
        "categories": [f"c{i}" for i in range(CATEGORIES_MAX)],
    }
    assert gql(CREATE_OFFER, {"i": offer}, token=token)["data"]["createOffer"]["id"]


@pytest.mark.parametrize(
    "patch",
    [{"title": "  "}, {"description": TOO_LONG}, {"categories": TOO_MANY}],
)
def test_updating_an_offer_with_a_blank_title_or_oversized_text_changes_nothing(gql, person, patch):
    token, user = person
    offer = services.offer_create(user=user, title="Drill", kind=HelpKind.LOAN, location=HERE, categories=["diy"])
    refused(gql, UPDATE_OFFER, {"id": gid(offer), "i": patch}, token)
    offer.refresh_from_db()
    assert (offer.title, offer.description, offer.categories) == ("Drill", "", ["diy"])


def test_every_titled_or_named_thing_refuses_a_title_of_only_spaces_on_the_model():
    """The admin's and the commands' path: full_clean on the model, no service in between."""
    from accounts.models import Community
    from events.models import Event
    from feed.models import Post
    from offers.models import FundingPool

    things = [
        (Offer(title=" ", kind=HelpKind.LOAN, location=HERE), "title"),
        (Need(title=" ", kind=HelpKind.LOAN, location=HERE), "title"),
        (Project(title=" ", location=HERE), "title"),
        (Event(title=" ", location=HERE), "title"),
        (Post(title=" ", body="Hello"), "title"),
        (Post(body="\n \t"), "body"),
        (FundingPool(name=" "), "name"),
        (Community(name=" "), "name"),
        (Community(name="Co-op", description=TOO_LONG), "description"),
    ]
    for thing, field in things:
        with pytest.raises(ValidationError) as error:
            thing.full_clean()
        assert field in error.value.message_dict, (thing, error.value.message_dict)
