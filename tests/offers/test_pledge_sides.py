"""Given a partner's pool over a borough, when one person (or one organisation) stands on both sides
of a money pledge (they made the offer and posted the need, or act for both), then the pledge is
refused (FORBIDDEN) and nothing is written; a pledge of that kind made before the rule existed is
neither accepted nor fulfilled, and no pool ever tops it up. Two distinct sides pledge as before."""

from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from strawberry.relay import GlobalID

from offers import services
from offers.models import FundingPool, Need, Offer, Pledge, PoolTopUp, Project
from places.models import District, Organisation
from tests.conftest import codes

pytestmark = pytest.mark.django_db

PLEDGE = """mutation($o: ID!, $n: ID!, $q: Decimal!) {
  pledge(offerId: $o, needId: $n, quantity: $q) { id status } }"""
RESPOND = "mutation($p: ID!, $a: Boolean!) { respondToPledge(pledgeId: $p, accept: $a) { status } }"
FULFIL = "mutation($p: ID!) { fulfilPledge(pledgeId: $p) { status } }"
CANCEL = "mutation($p: ID!) { cancelPledge(pledgeId: $p) { status } }"


def gid(thing) -> str:
    return str(GlobalID(type(thing).__name__, str(thing.pk)))


def rows() -> tuple:
    """Everything a pledge could write: pledges and their states, top-ups, offers' and needs' states."""
    return (
        sorted(Pledge.objects.values_list("pk", "status")),
        PoolTopUp.objects.count(),
        sorted(Offer.objects.filter(kind="MONEY").values_list("pk", "status")),
        sorted(Need.objects.filter(kind="MONEY").values_list("pk", "status")),
    )


@pytest.fixture
def borough():
    return District.objects.filter(layer__slug="mtl-boroughs").order_by("code").first()


@pytest.fixture
def pool(borough):
    """The city's participatory budget over the borough: one for one, up to 800 per project."""
    User = get_user_model()
    city = Organisation.objects.create(name="Ville", kind="PARTNER", location=borough.geometry.point_on_surface)
    clerk = User.objects.create_user("clerk@example.org", password="x" * 20)
    city.members.add(clerk)
    return services.pool_create(
        user=clerk,
        partner=city,
        district=borough,
        name="Budget participatif",
        ratio=Decimal(1),
        cap_per_project=Decimal(800),
        total=Decimal(10000),
    )


@pytest.fixture
def person(register):
    """Register someone; returns (token, user)."""

    def make(name: str):
        token = register(f"{name}@example.org")
        return token, get_user_model().objects.get(username=f"{name}@example.org")

    return make


def project_need(borough, owner, organisation=None) -> Need:
    place = borough.geometry.point_on_surface
    project = services.project_create(
        user=owner, organisation=organisation, title="Jardin", location=place, funding_goal=Decimal(2000)
    )
    return services.need_create(user=owner, project=project, title="Money", kind="MONEY", quantity=Decimal(2000))


def money_offer(borough, owner, organisation=None, amount: int = 400) -> Offer:
    place = borough.geometry.point_on_surface
    return services.offer_create(
        user=owner, organisation=organisation, title="Gift", kind="MONEY", quantity=Decimal(amount), location=place
    )


def test_one_account_cannot_pledge_its_own_offer_to_its_own_project(gql, borough, pool, person):
    """The probe's story, through the API: create a project, a money need, a money offer, pledge."""
    token, _ = person("drainer")
    point = borough.geometry.point_on_surface
    where = {"longitude": point.x, "latitude": point.y}
    project = gql(
        """mutation($p: PointInput!) { createProject(input: {title: "Mine", location: $p, fundingGoal: "2000"}) {
             id } }""",
        {"p": where},
        token=token,
    )["data"]["createProject"]["id"]
    need = gql(
        """mutation($p: ID!) { createNeed(input: {title: "Money", kind: MONEY, projectId: $p, quantity: "2000"}) {
             id } }""",
        {"p": project},
        token=token,
    )["data"]["createNeed"]["id"]
    offer = gql(
        """mutation($p: PointInput!) { createOffer(input: {title: "Gift", kind: MONEY, location: $p, quantity: "400"}) {
             id } }""",
        {"p": where},
        token=token,
    )["data"]["createOffer"]["id"]
    before = rows()

    body = gql(PLEDGE, {"o": offer, "n": need, "q": "400"}, token=token, expect_errors=True)

    assert codes(body) == ["FORBIDDEN"]
    assert "its own side" in body["errors"][0]["message"]
    assert rows() == before
    assert not pool.top_ups.exists()


def test_someone_who_acts_for_both_sides_cannot_pledge(gql, borough, pool, person):
    """Ana acts for the association whose offer it is, and for the cooperative whose project it is."""
    token, ana = person("ana")
    ben_token, ben = person("ben")
    _, cleo = person("cleo")
    point = borough.geometry.point_on_surface
    association = Organisation.objects.create(name="Association", kind="ASSOCIATION", location=point)
    cooperative = Organisation.objects.create(name="Coop", kind="ASSOCIATION", location=point)
    association.members.add(ana, ben)
    cooperative.members.add(ana, cleo)
    cases = [
        # Ana's own offer, to the project of an organisation she is a member of.
        (money_offer(borough, ana), project_need(borough, cleo, cooperative)),
        # The offer of an organisation she is a member of, to her own project.
        (money_offer(borough, ben, association), project_need(borough, ana)),
        # Both organisations' (other people posted them): she acts for both.
        (money_offer(borough, ben, association), project_need(borough, cleo, cooperative)),
        # One organisation on both sides.
        (money_offer(borough, ben, association), project_need(borough, ben, association)),
    ]
    before = rows()
    for offer, need in cases:
        body = gql(PLEDGE, {"o": gid(offer), "n": gid(need), "q": "400"}, token=token, expect_errors=True)
        assert codes(body) == ["FORBIDDEN"], (offer.owner, offer.organisation, need.owner, need.organisation)
    assert rows() == before
    # Ben, who does not act for the cooperative, cannot pledge the association's offer to it either:
    # Ana, on both sides, would accept it.
    offer, need = cases[2]
    body = gql(PLEDGE, {"o": gid(offer), "n": gid(need), "q": "400"}, token=ben_token, expect_errors=True)
    assert codes(body) == ["FORBIDDEN"]
    assert rows() == before


def test_two_distinct_sides_still_pledge_accept_and_get_topped_up(gql, borough, pool, person):
    giver_token, giver = person("giver")
    carrier_token, carrier = person("carrier")
    offer, need = money_offer(borough, giver), project_need(borough, carrier)
    pledge = gql(PLEDGE, {"o": gid(offer), "n": gid(need), "q": "400"}, token=giver_token)["data"]["pledge"]
    gql(RESPOND, {"p": pledge["id"], "a": True}, token=carrier_token)
    assert gql(FULFIL, {"p": pledge["id"]}, token=carrier_token)["data"]["fulfilPledge"]["status"] == "FULFILLED"
    assert pool.top_ups.get().amount == Decimal(400)


@pytest.fixture
def legacy(borough, pool, person):
    """A same-side pledge written before the rule (straight to the database), and its owner's token."""
    token, owner = person("legacy")
    offer, need = money_offer(borough, owner), project_need(borough, owner)
    pledge = Pledge.objects.create(offer=offer, need=need, quantity=Decimal(400), created_by=owner)
    return token, pledge


def test_a_same_side_pledge_made_before_the_rule_is_not_accepted(gql, legacy):
    token, pledge = legacy
    before = rows()
    body = gql(RESPOND, {"p": gid(pledge), "a": True}, token=token, expect_errors=True)
    assert codes(body) == ["FORBIDDEN"]
    assert rows() == before
    # Declining (or cancelling) it is still possible: that is how it goes away.
    assert gql(RESPOND, {"p": gid(pledge), "a": False}, token=token)["data"]["respondToPledge"]["status"] == "DECLINED"


def test_a_same_side_pledge_accepted_before_the_rule_is_not_fulfilled_nor_topped_up(gql, legacy, pool):
    token, pledge = legacy
    Pledge.objects.filter(pk=pledge.pk).update(status=Pledge.Status.ACCEPTED)
    pledge.refresh_from_db()

    assert services.pools_top_up(pledge=pledge, project=pledge.need.project) == []
    assert not PoolTopUp.objects.exists()

    before = rows()
    body = gql(FULFIL, {"p": gid(pledge)}, token=token, expect_errors=True)
    assert codes(body) == ["FORBIDDEN"]
    assert rows() == before
    assert gql(CANCEL, {"p": gid(pledge)}, token=token)["data"]["cancelPledge"]["status"] == "CANCELLED"


def test_a_need_side_that_joins_the_offer_side_after_the_pledge_cannot_accept_it(gql, borough, pool, person):
    giver_token, giver = person("early-giver")
    carrier_token, carrier = person("early-carrier")
    shop = Organisation.objects.create(name="Shop", kind="MERCHANT", location=borough.geometry.point_on_surface)
    shop.members.add(giver)
    offer, need = money_offer(borough, giver, shop), project_need(borough, carrier)
    pledge = gql(PLEDGE, {"o": gid(offer), "n": gid(need), "q": "400"}, token=giver_token)["data"]["pledge"]
    shop.members.add(carrier)
    before = rows()
    body = gql(RESPOND, {"p": pledge["id"], "a": True}, token=carrier_token, expect_errors=True)
    assert codes(body) == ["FORBIDDEN"]
    assert rows() == before
    assert FundingPool.objects.get(pk=pool.pk).top_ups.count() == 0
    assert Project.objects.get(pk=need.project_id).top_ups.count() == 0
