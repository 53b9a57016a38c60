"""suggestAllocation: the optimum on a small case where picking the best match first goes wrong,
and no capacity exceeded on a large one."""

from collections import defaultdict
from decimal import Decimal

import pytest
from django.contrib.gis.geos import MultiPolygon, Point, Polygon
from strawberry.relay import GlobalID

from matching.allocation import suggest_allocation, units
from matching.selectors import offers_for_need
from offers.models import Need, Offer
from places.models import BoundaryLayer, District
from places.services import layer_refresh
from tests.conftest import codes
from tests.matching.test_matches import asked_by, staff

pytestmark = pytest.mark.django_db


@pytest.fixture
def corner():
    """A small zone of its own, with nothing else in it."""
    layer = BoundaryLayer.objects.create(slug="alloc-corner", name="Corner")
    square = Polygon.from_bbox((-73.9005, 45.4405, -73.8995, 45.4415))
    district = District.objects.create(layer=layer, code="C", name="Corner", geometry=MultiPolygon(square, srid=4326))
    layer_refresh(layer=layer)
    return district


def located(model, **fields):
    from places.services import located_assign_districts

    thing = model.objects.create(location=Point(-73.9, 45.441, srid=4326), kind="MATERIAL", quantity=1, **fields)
    located_assign_districts(thing)
    return thing


def test_the_flow_covers_both_needs_where_best_first_would_cover_one(corner, gql):
    """Offer A serves X (better) or Y; offer B serves only X. Best first gives A to X and leaves Y
    empty; the optimum is A to Y and B to X."""
    need_x = located(Need, title="X", categories=["tools"])
    need_y = located(Need, title="Y", categories=["paint"])
    offer_a = located(Offer, title="A", categories=["tools", "paint"])
    offer_b = located(Offer, title="B", categories=["tools", "books", "seeds"])
    proposals = suggest_allocation(
        needs=Need.objects.filter(districts=corner), offers=Offer.objects.filter(districts=corner), request=asked_by()
    )
    assert {(p.offer.title, p.need.title, p.quantity) for p in proposals} == {("A", "Y", 1), ("B", "X", 1)}

    body = gql(
        """query($d: ID!) { suggestAllocation(districtId: $d) {
             needsCovered unitsAllocated proposals { offer { title } need { title } quantity score } } }""",
        {"d": str(GlobalID("District", str(corner.pk)))},
    )
    allocation = body["data"]["suggestAllocation"]
    assert allocation["needsCovered"] == 2 and Decimal(allocation["unitsAllocated"]) == 2
    assert {(p["offer"]["title"], p["need"]["title"]) for p in allocation["proposals"]} == {("A", "Y"), ("B", "X")}
    assert offer_a and offer_b and need_x and need_y


@pytest.mark.parametrize("caller", [staff, asked_by])
def test_no_capacity_is_exceeded_on_a_whole_borough(caller):
    request = caller()
    borough = max(
        District.objects.filter(layer__slug="mtl-boroughs"), key=lambda d: Need.objects.filter(districts=d).count()
    )
    needs, offers = Need.objects.filter(districts=borough), Offer.objects.filter(districts=borough)
    proposals = suggest_allocation(needs=needs, offers=offers, request=request)
    assert len(proposals) > 10
    by_offer, by_need = defaultdict(Decimal), defaultdict(Decimal)
    for p in proposals:
        assert p.offer.pk in {o.pk for o in offers_for_need(p.need, request=request)}, "only pairs that can match"
        by_offer[p.offer.pk] += p.quantity
        by_need[p.need.pk] += p.quantity
    assert all(total <= units(Offer.objects.get(pk=pk)) for pk, total in by_offer.items())
    assert all(total <= units(Need.objects.get(pk=pk)) for pk, total in by_need.items())


def test_allocation_needs_exactly_one_area(gql):
    assert codes(gql("{ suggestAllocation { needsCovered } }", expect_errors=True)) == ["BAD_INPUT"]
    assert codes(gql('{ suggestAllocation(layer: "nowhere") { needsCovered } }', expect_errors=True)) == ["NOT_FOUND"]


def test_project_matches_group_per_need(gql, corner):
    from offers.models import Project

    project = Project.objects.create(title="Corner garden", location=Point(-73.9, 45.441, srid=4326))
    located(Need, title="Soil", categories=["seeds"], project=project)
    located(Need, title="Spades", categories=["tools"], project=project)
    located(Offer, title="Spare spades", categories=["tools"])
    body = gql(
        """query($id: ID!) { projectMatches(projectId: $id) { need { title } matches { offer { title } score } } }""",
        {"id": str(GlobalID("Project", str(project.pk)))},
    )
    groups = {g["need"]["title"]: [m["offer"]["title"] for m in g["matches"]] for g in body["data"]["projectMatches"]}
    assert groups["Spades"][:1] == ["Spare spades"] and "Spare spades" not in groups["Soil"]
