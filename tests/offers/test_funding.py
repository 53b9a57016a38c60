"""Given a partner's co-funding pool over one borough, when money pledges to projects are accepted,
then projects inside the borough are topped up, never past the ratio, the cap per project or the
pool's total, and projects elsewhere are not."""

from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from strawberry.relay import GlobalID

from offers import services
from offers.models import Need, Offer, PoolTopUp
from places.models import District, Organisation
from tests.conftest import codes

pytestmark = pytest.mark.django_db


@pytest.fixture
def people():
    User = get_user_model()
    return {
        name: User.objects.create_user(f"{name}@example.org", password="x" * 20)
        for name in ("city", "carrier", "giver")
    }


def project_in(borough: District, owner, goal: Decimal = Decimal(5000)):
    point = borough.geometry.point_on_surface
    project = services.project_create(user=owner, title=f"Project in {borough.name}", location=point, funding_goal=goal)
    need = services.need_create(user=owner, project=project, title="Money", kind="MONEY", quantity=goal)
    return project, need


def give(people, need: Need, amount: int) -> None:
    offer = services.offer_create(
        user=people["giver"], title="Donation", kind="MONEY", quantity=Decimal(amount), location=need.location
    )
    pledge = services.pledge_create(user=people["giver"], offer=offer, need=need, quantity=Decimal(amount))
    services.pledge_respond(user=people["carrier"], pledge=pledge, accept=True)


def test_pools_top_up_projects_inside_their_area_within_every_cap(people, gql):
    boroughs = District.objects.filter(layer__slug="mtl-boroughs").order_by("code")
    inside, elsewhere = boroughs[0], boroughs[1]
    city = Organisation.objects.create(name="Ville", kind="PARTNER", location=inside.geometry.point_on_surface)
    city.members.add(people["city"])
    pool = services.pool_create(
        user=people["city"],
        partner=city,
        district=inside,
        name="Budget participatif",
        ratio=Decimal(1),
        cap_per_project=Decimal(500),
        total=Decimal(800),
    )
    a, need_a = project_in(inside, people["carrier"])
    b, need_b = project_in(elsewhere, people["carrier"])
    c, need_c = project_in(inside, people["carrier"])

    give(people, need_a, 300)  # one for one: 300
    give(people, need_a, 400)  # cap per project: 200 more
    give(people, need_b, 400)  # outside the pool's area: nothing
    give(people, need_c, 600)  # what is left of the pool: 300

    topped = {p.pk: sum(t.amount for t in PoolTopUp.objects.filter(project=p)) for p in (a, b, c)}
    assert topped == {a.pk: Decimal(500), b.pk: 0, c.pk: Decimal(300)}
    assert sum(t.amount for t in pool.top_ups.all()) == pool.total

    body = gql(
        """query($id: ID!) { node(id: $id) { ... on Project {
             funding { goal pledged received toppedUp raised backers progress } } } }""",
        {"id": str(GlobalID("Project", str(a.pk)))},
    )
    funding = body["data"]["node"]["funding"]
    assert funding["pledged"] == "700.00" and funding["toppedUp"] == "500.00" and funding["raised"] == "1200.00"
    assert funding["received"] == "0" and funding["backers"] == 1 and funding["progress"] == pytest.approx(0.24)


def test_cancelling_a_pledge_returns_its_top_up_and_capacity(people):
    borough = District.objects.filter(layer__slug="mtl-boroughs").order_by("code").first()
    city = Organisation.objects.create(name="Ville", kind="PARTNER", location=borough.geometry.point_on_surface)
    city.members.add(people["city"])
    services.pool_create(
        user=people["city"],
        partner=city,
        layer=borough.layer,
        name="Island-wide",
        ratio=Decimal("0.5"),
        cap_per_project=Decimal(1000),
        total=Decimal(10000),
    )
    project, need = project_in(borough, people["carrier"], goal=Decimal(100))
    give(people, need, 60)
    pledge = need.pledges.get()
    assert pledge.top_ups.get().amount == Decimal(30)
    give(people, need, 40)  # the goal is reached: no top-up past it
    assert services.funding_raised(project) == Decimal(130) and Need.objects.get(pk=need.pk).status == "MET"
    services.pledge_cancel(user=people["giver"], pledge=pledge)
    assert not pledge.top_ups.exists()
    assert services.remaining(Need.objects.get(pk=need.pk)) == Decimal(60)
    assert Need.objects.get(pk=need.pk).status == "OPEN" and Offer.objects.get(pk=pledge.offer_id).status == "OPEN"


def test_only_partners_members_create_pools(gql, register):
    borough = District.objects.filter(layer__slug="mtl-boroughs").first()
    merchant = Organisation.objects.create(name="Shop", kind="MERCHANT", location=borough.geometry.point_on_surface)
    partner = Organisation.objects.create(name="City", kind="PARTNER", location=borough.geometry.point_on_surface)
    token = register("outsider@example.org")
    create = """mutation($input: FundingPoolInput!) { createFundingPool(input: $input) { id name } }"""
    base = {"name": "Pool", "ratio": "1", "capPerProject": "100", "total": "1000", "layer": "mtl-boroughs"}
    for org, code in ((merchant, "BAD_INPUT"), (partner, "FORBIDDEN")):
        variables = {"input": {**base, "partnerId": str(GlobalID("Organisation", str(org.pk)))}}
        assert codes(gql(create, variables, token=token, expect_errors=True)) == [code]
    both = {
        **base,
        "partnerId": str(GlobalID("Organisation", str(partner.pk))),
        "districtId": str(GlobalID("District", str(borough.pk))),
    }
    assert codes(gql(create, {"input": both}, token=token, expect_errors=True)) == ["BAD_INPUT"]
