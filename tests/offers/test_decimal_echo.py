"""Given decimals written in any notation the API takes (1e3, 2.5E-1, 7), when a mutation writes
them, then its answer gives each in the form every later read gives (1000.00, 0.25, 7.00): the
field's decimal places, as stored; and a value with more decimal places than its field is refused,
never rounded."""

import pytest
from django.contrib.auth import get_user_model
from strawberry.relay import GlobalID

from offers.models import FundingPool, Offer
from places.models import District, Organisation
from tests.conftest import codes

pytestmark = pytest.mark.django_db

NODE = "query($id: ID!) { node(id: $id) { ...on %s { %s } } }"


@pytest.fixture
def people(register):
    User = get_user_model()
    return {
        name: (register(f"{name}@example.org"), User.objects.get(username=f"{name}@example.org"))
        for name in ("giver", "carrier")
    }


@pytest.fixture
def place():
    point = District.objects.filter(layer__slug="mtl-boroughs").order_by("code").first().geometry.point_on_surface
    return {"longitude": point.x, "latitude": point.y}


def read(gql, type_name: str, id: str, fields: str, token: str) -> dict:
    return gql(NODE % (type_name, fields), {"id": id}, token=token)["data"]["node"]


def test_every_decimal_a_mutation_writes_comes_back_as_a_later_read_gives_it(gql, people, place):
    giver_token, carrier_token = people["giver"][0], people["carrier"][0]

    project = gql(
        """mutation($p: PointInput!) { createProject(input: {title: "Jardin", location: $p, fundingGoal: "1e3"}) {
             id fundingGoal funding { goal } } }""",
        {"p": place},
        token=carrier_token,
    )["data"]["createProject"]
    assert project["fundingGoal"] == project["funding"]["goal"] == "1000.00"
    assert read(gql, "Project", project["id"], "fundingGoal", carrier_token) == {"fundingGoal": "1000.00"}

    need = gql(
        """mutation($p: ID!) { createNeed(input: {title: "Money", kind: MONEY, projectId: $p, quantity: "5E+2"}) {
             id quantity } }""",
        {"p": project["id"]},
        token=carrier_token,
    )["data"]["createNeed"]
    assert need["quantity"] == "500.00"
    assert read(gql, "Need", need["id"], "quantity", carrier_token) == {"quantity": "500.00"}

    offer = gql(
        """mutation($p: PointInput!) { createOffer(input: {title: "Gift", kind: MONEY, location: $p, quantity: 7}) {
             id quantity } }""",
        {"p": place},
        token=giver_token,
    )["data"]["createOffer"]
    assert offer["quantity"] == "7.00"
    updated = gql(
        """mutation($id: ID!) { updateOffer(id: $id, input: {quantity: "2.5E+1"}) { quantity } }""",
        {"id": offer["id"]},
        token=giver_token,
    )["data"]["updateOffer"]
    assert updated["quantity"] == "25.00"
    assert read(gql, "Offer", offer["id"], "quantity", giver_token) == {"quantity": "25.00"}

    pledge = gql(
        """mutation($o: ID!, $n: ID!) { pledge(offerId: $o, needId: $n, quantity: "1e1") { id quantity } }""",
        {"o": offer["id"], "n": need["id"]},
        token=giver_token,
    )["data"]["pledge"]
    assert pledge["quantity"] == "10.00"
    assert read(gql, "Pledge", pledge["id"], "quantity", giver_token) == {"quantity": "10.00"}


def test_a_pools_amounts_come_back_as_stored(gql, people):
    token, clerk = people["giver"]
    city = Organisation.objects.create(
        name="Ville",
        kind="PARTNER",
        location=District.objects.filter(layer__slug="mtl-boroughs").first().geometry.point_on_surface,
    )
    city.members.add(clerk)
    pool = gql(
        """mutation($i: FundingPoolInput!) { createFundingPool(input: $i) { id ratio capPerProject total } }""",
        {
            "i": {
                "name": "Budget",
                "partnerId": str(GlobalID("Organisation", str(city.pk))),
                "layer": "mtl-boroughs",
                "ratio": "2.5E-1",
                "capPerProject": "5e2",
                "total": 10000,
            }
        },
        token=token,
    )["data"]["createFundingPool"]
    assert pool == {"id": pool["id"], "ratio": "0.250", "capPerProject": "500.00", "total": "10000.00"}
    stored = FundingPool.objects.get(pk=GlobalID.from_id(pool["id"]).node_id)
    assert (str(stored.ratio), str(stored.cap_per_project), str(stored.total)) == ("0.250", "500.00", "10000.00")


def test_more_decimal_places_than_the_field_has_are_refused_not_rounded(gql, people, place):
    token, _ = people["giver"]
    before = Offer.objects.count()
    body = gql(
        """mutation($p: PointInput!) {
             createOffer(input: {title: "Gift", kind: MONEY, location: $p, quantity: "7.005"}) { id } }""",
        {"p": place},
        token=token,
        expect_errors=True,
    )
    assert codes(body) == ["BAD_INPUT"]
    assert Offer.objects.count() == before
