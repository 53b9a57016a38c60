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
TOO_MANY = [f"category {i}" for i in range(100)]  # within what a list argument takes (100)


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
    other = get_user_model().objects.create_user("other@example.org", password="x" * 20)
    offer = services.offer_create(user=user, title="Drill", kind=HelpKind.LOAN, location=HERE, quantity=Decimal(2))
    need = services.need_create(user=other, title="A drill", kind=HelpKind.LOAN, location=HERE, quantity=Decimal(1))
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
    # Someone else's need: one's own offer is never pledged to one's own need.
    other = get_user_model().objects.create_user("other@example.org", password="x" * 20)
    need = services.need_create(user=other, title="A saw", kind=HelpKind.LOAN, location=HERE, quantity=Decimal(1))
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
        ({"title": "   "}, "a title cannot be blank"),
        ({"description": TOO_LONG}, f"a description has at most {DESCRIPTION_MAX_LENGTH} characters"),
        ({"categories": TOO_MANY}, f"give at most {CATEGORIES_MAX} categories (not 100)"),
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
        (Event(title="\u200b\ufeff", location=HERE), "title"),
        (Post(title="\u200e", body="Hello"), "title"),  # a direction mark alone: not trimmed, still blank
        (Post(body="\n \t"), "body"),
        (Post(body="\u200b\u2060"), "body"),
        (FundingPool(name=" "), "name"),
        (FundingPool(name="\u00a0\u200c"), "name"),
        (Community(name=" "), "name"),
        (Community(name="\u3000\u200d"), "name"),
        (Community(name="Co-op", description=TOO_LONG), "description"),
    ]
    for thing, field in things:
        with pytest.raises(ValidationError) as error:
            thing.full_clean()
        assert field in error.value.message_dict, (thing, error.value.message_dict)


def test_titles_and_names_are_trimmed_on_the_model_and_an_optional_one_of_only_spaces_is_none():
    from accounts.models import Community
    from feed.models import Post

    offer, community = Offer(title="\u200b Drill\u00a0", kind=HelpKind.LOAN, location=HERE), Community(name=" Coop\n")
    post = Post(title=" \u2060 ", body="Hello", building_id=1)
    offer.full_clean(exclude=["owner"])
    community.full_clean()
    post.full_clean(exclude=["building", "owner"])
    assert (offer.title, community.name, post.title) == ("Drill", "Coop", "")

    saved = Community.objects.create(name="\ufeff Coop des Érables\u200b")  # no full_clean: a command's path
    saved.refresh_from_db()
    assert saved.name == "Coop des Érables"


# Texts that show nothing: Unicode's spaces, the zero-width and format characters, fillers.
INVISIBLE = {
    "zero-width space": "\u200b",
    "zero-width non-joiner and joiner": "\u200c\u200d",
    "word joiner": "\u2060",
    "byte order mark": "\ufeff",
    "no-break spaces": "\u00a0\u202f\u2007",
    "ideographic space": "\u3000",
    "a mix": " \u200b\t\u2060\u00a0\n",
    "soft hyphen and direction marks": "\u00ad\u200e\u200f",
    "hangul filler": "\u3164",
    "braille blank": "\u2800",
}
PADDED = "\u200b\u00a0 Drill\u2060 \ufeff\n"  # a title between invisible characters


@pytest.mark.parametrize("text", INVISIBLE.values(), ids=INVISIBLE.keys())
@pytest.mark.parametrize("query", [CREATE_OFFER, CREATE_NEED, CREATE_PROJECT], ids=["offer", "need", "project"])
def test_a_title_of_only_invisible_characters_is_blank(gql, person, query, text):
    token, _ = person
    variables = {"i": {"title": text, "location": PLATEAU}}
    if query != CREATE_PROJECT:
        variables["i"]["kind"] = "LOAN"
    assert "a title cannot be blank" in refused(gql, query, variables, token)


@pytest.mark.parametrize("text", INVISIBLE.values(), ids=INVISIBLE.keys())
def test_updating_an_offer_to_a_title_of_only_invisible_characters_changes_nothing(gql, person, text):
    token, user = person
    offer = services.offer_create(user=user, title="Drill", kind=HelpKind.LOAN, location=HERE)
    assert "a title cannot be blank" in refused(gql, UPDATE_OFFER, {"id": gid(offer), "i": {"title": text}}, token)
    offer.refresh_from_db()
    assert offer.title == "Drill"


def test_titles_are_trimmed_of_spaces_and_invisible_characters(gql, person):
    token, user = person
    offer = gql(CREATE_OFFER, {"i": {"title": PADDED, "kind": "LOAN", "location": PLATEAU}}, token=token)
    need = gql(CREATE_NEED, {"i": {"title": PADDED, "kind": "LOAN", "location": PLATEAU}}, token=token)
    project = gql(CREATE_PROJECT, {"i": {"title": PADDED, "location": PLATEAU}}, token=token)
    assert Offer.objects.get(owner=user).title == "Drill"
    assert Need.objects.get(owner=user).title == "Drill"
    assert Project.objects.get(owner=user).title == "Drill"
    for body, name in ((offer, "createOffer"), (need, "createNeed"), (project, "createProject")):
        assert body["data"][name]["id"]

    offer_id = offer["data"]["createOffer"]["id"]
    gql(UPDATE_OFFER, {"id": offer_id, "i": {"title": " \u3000Saw\u200d ", "unit": " items\u00a0"}}, token=token)
    assert Offer.objects.filter(owner=user).values_list("title", "unit").get() == ("Saw", "items")


def test_a_title_inside_invisible_characters_keeps_what_shows():
    """Trimming stops at what is drawn: an emoji's presentation selector and a flag's tags stay."""
    from geoschema.texts import trim

    assert trim("\u200b Café ❤\ufe0f\u200b ") == "Café ❤\ufe0f"
    flag = "\U0001f3f4\U000e0067\U000e0062\U000e0073\U000e0063\U000e0074\U000e007f"  # Scotland's
    assert trim(f"\u00a0Club {flag}\u2060") == f"Club {flag}"
    assert trim("a\u200bb") == "a\u200bb", "only the ends are trimmed"


@pytest.mark.parametrize(
    "overrides,says",
    [
        ({"title": "t" * 201}, "a title has at most 200 characters (this one has 201)"),
        ({"unit": "u" * 41}, "a unit has at most 40 characters (this one has 41)"),
        ({"quantity": "1e15"}, "a quantity has at most 12 digits before the decimal point and 2 decimal places"),
        ({"quantity": "0.001"}, "a quantity has at most 12 digits before the decimal point and 2 decimal places"),
        ({"recurringDays": [0, 1, 2, 3, 4, 5, 6, 0]}, "recurring days name each day of the week at most once"),
        ({"recurringDays": [1] * 100}, "recurring days name each day of the week at most once"),
    ],
)
def test_oversized_texts_and_numbers_name_their_field(gql, person, overrides, says):
    token, _ = person
    offer = {"title": "Tools", "kind": "LOAN", "location": PLATEAU, **overrides}
    assert says in refused(gql, CREATE_OFFER, {"i": offer}, token)


def test_a_title_of_the_largest_size_is_accepted_once_trimmed(gql, person):
    token, user = person
    gql(CREATE_OFFER, {"i": {"title": f" {'t' * 200}\u200b", "kind": "LOAN", "location": PLATEAU}}, token=token)
    assert Offer.objects.get(owner=user).title == "t" * 200


CREATE_POOL = "mutation($i: FundingPoolInput!) { createFundingPool(input: $i) { id name } }"


@pytest.fixture
def partner(person):
    """A partner organisation that the person acts for, and a pool's input over Montreal's boroughs."""
    from places.models import Organisation

    token, user = person
    city = Organisation.objects.create(name="Ville", kind="PARTNER", location=HERE)
    city.members.add(user)
    pool = {"name": "Budget", "partnerId": gid(city), "ratio": "1", "capPerProject": "500", "total": "10000"}
    return token, {**pool, "layer": "mtl-boroughs"}


@pytest.mark.parametrize(
    "overrides,says",
    [
        ({"ratio": "-1"}, "a pool's ratio must be more than 0"),
        ({"ratio": "0"}, "a pool's ratio must be more than 0"),
        ({"capPerProject": "-500"}, "a pool's cap per project must be more than 0"),
        ({"total": "-10000"}, "a pool's total must be more than 0"),
        ({"total": "0"}, "a pool's total must be more than 0"),
        ({"ratio": "1000"}, "a pool's ratio has at most 3 digits before the decimal point and 3 decimal places"),
        ({"ratio": "0.0001"}, "a pool's ratio has at most 3 digits before the decimal point and 3 decimal places"),
        ({"total": "1e13"}, "a pool's total has at most 12 digits before the decimal point"),
        ({"capPerProject": "NaN"}, "capPerProject"),
        ({"name": "\u200b\u00a0"}, "a name cannot be blank"),
        ({"name": "n" * 201}, "a name has at most 200 characters"),
    ],
)
def test_bad_funding_pools_are_refused_naming_the_field_and_nothing_is_written(gql, partner, overrides, says):
    from offers.models import FundingPool

    token, pool = partner
    before = FundingPool.objects.count()
    body = gql(CREATE_POOL, {"i": {**pool, **overrides}}, token=token, expect_errors=True)
    assert codes(body) == ["BAD_INPUT"], body
    assert says in body["errors"][0]["message"]
    assert FundingPool.objects.count() == before


def test_a_funding_pool_name_is_trimmed(gql, partner):
    token, pool = partner
    created = gql(CREATE_POOL, {"i": {**pool, "name": "\ufeff Budget participatif\u00a0"}}, token=token)
    assert created["data"]["createFundingPool"]["name"] == "Budget participatif"
