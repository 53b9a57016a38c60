"""Given the seeded activity over Montreal's boroughs, when an analyst asks for areaStats, then every
figure agrees with a Python oracle over the same rows (shapely point-in-polygon on the boroughs
file), small counts are withheld for everyone but staff, and the choropleth carries the same figures."""

from collections import Counter, defaultdict
from datetime import timedelta
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from shapely import STRtree
from shapely.geometry import Point, shape

from accounts.services import token_issue
from offers import services
from offers.models import Need, Offer, Pledge
from tests.conftest import BOROUGHS, codes, load_geojson

pytestmark = pytest.mark.django_db

STATS = """query($from: DateTime) {
  areaStats(layer: "mtl-boroughs", from: $from) {
    district { code } offers needs projects pledges people organisations
    offersByKind { kind count } needsByKind { kind count } pledgedQuantity moneyPledged moneyReceived
  }
}"""


@pytest.fixture
def pledges():
    """Money and volunteering pledges between seeded offers and needs of the same kind."""
    made = 0
    for need in Need.objects.filter(kind__in=["MONEY", "VOLUNTEERING"]).order_by("id")[:60]:
        offer = Offer.objects.filter(kind=need.kind).order_by("id")[made]
        status = "FULFILLED" if made % 3 == 0 else "ACCEPTED"
        Pledge.objects.create(offer=offer, need=need, quantity=Decimal(made + 1), status=status)
        made += 1
    return made


def borough_of(tree, codes_, x, y):
    hits = tree.query(Point(x, y), predicate="intersects")
    return {codes_[i] for i in hits}


def oracle(start):
    features = load_geojson(BOROUGHS)["features"]
    codes_ = [f["properties"]["CODEID"] for f in features]
    tree = STRtree([shape(f["geometry"]) for f in features])
    figures = defaultdict(
        lambda: {
            "offers": Counter(),
            "needs": Counter(),
            "pledges": 0,
            "quantity": Decimal(0),
            "money": Decimal(0),
            "received": Decimal(0),
        }
    )
    for model, key in ((Offer, "offers"), (Need, "needs")):
        for thing in model.objects.filter(created_at__gte=start).only("location", "kind"):
            for code in borough_of(tree, codes_, thing.location.x, thing.location.y):
                figures[code][key][thing.kind] += 1
    for pledge in Pledge.objects.filter(created_at__gte=start, status__in=["ACCEPTED", "FULFILLED"]).select_related(
        "need"
    ):
        for code in borough_of(tree, codes_, pledge.need.location.x, pledge.need.location.y):
            figures[code]["pledges"] += 1
            figures[code]["quantity"] += pledge.quantity
            if pledge.need.kind == "MONEY":
                figures[code]["money"] += pledge.quantity
                figures[code]["received"] += pledge.quantity if pledge.status == "FULFILLED" else 0
    return figures, codes_


def shown(count, threshold):
    return None if 0 < count < threshold else count


@pytest.mark.parametrize("as_staff", [True, False], ids=["staff", "public"])
def test_area_stats_agree_with_the_oracle(gql, pledges, settings, as_staff):
    start = Offer.objects.order_by("created_at")[2000].created_at
    token = None
    if as_staff:
        token = token_issue(user=get_user_model().objects.create_user("analyst@example.org", is_staff=True))
    threshold = 0 if as_staff else settings.QUARTIER["STATS_MIN_COUNT"]
    figures, borough_codes = oracle(start)
    body = gql(STATS, {"from": start.isoformat()}, token=token)
    stats = {s["district"]["code"]: s for s in body["data"]["areaStats"]}
    assert sorted(stats) == sorted(borough_codes)
    withheld = 0
    for code, stat in stats.items():
        expected = figures[code]
        assert stat["offers"] == shown(sum(expected["offers"].values()), threshold)
        assert stat["needs"] == shown(sum(expected["needs"].values()), threshold)
        assert {k["kind"]: k["count"] for k in stat["offersByKind"]} == {
            kind: shown(n, threshold) for kind, n in expected["offers"].items()
        }
        assert stat["pledges"] == shown(expected["pledges"], threshold)
        if stat["pledges"] is None:
            withheld += 1
            assert stat["moneyPledged"] is None and stat["pledgedQuantity"] is None
        else:
            assert Decimal(stat["pledgedQuantity"]) == expected["quantity"]
            assert Decimal(stat["moneyPledged"]) == expected["money"]
            assert Decimal(stat["moneyReceived"]) == expected["received"]
        assert stat["people"] == 0 and stat["projects"] == 0  # seeded rows have no owner, no project
    assert pledges == 60 and (withheld == 0 if as_staff else withheld > 0)


def test_the_choropleth_carries_the_same_figures(gql):
    table = {s["district"]["code"]: s for s in gql(STATS)["data"]["areaStats"]}
    collection = gql('{ areaStatsGeoJSON(layer: "mtl-boroughs", simplifyMeters: 20) }')["data"]["areaStatsGeoJSON"]
    assert collection["type"] == "FeatureCollection" and len(collection["features"]) == 19
    for feature in collection["features"]:
        assert feature["geometry"]["type"] in ("Polygon", "MultiPolygon")
        props = feature["properties"]
        assert props["offers"] == table[props["code"]]["offers"] and props["needs"] == table[props["code"]]["needs"]


def test_area_stats_refuse_bad_arguments(gql):
    assert codes(gql('{ areaStats(layer: "nowhere") { offers } }', expect_errors=True)) == ["NOT_FOUND"]
    body = gql(
        '{ areaStats(layer: "mtl-boroughs", from: "2026-02-01T00:00:00Z", to: "2026-01-01T00:00:00Z") { offers } }',
        expect_errors=True,
    )
    assert codes(body) == ["BAD_INPUT"]
    now = (Offer.objects.order_by("created_at").last().created_at + timedelta(days=1)).isoformat()
    empty = gql(STATS, {"from": now})["data"]["areaStats"]
    assert all(s["offers"] == 0 and s["needs"] == 0 for s in empty)


def test_people_organisations_and_projects_are_counted_once_per_district(gql):
    """Distinct people and organisations across offers, needs and projects, in the borough holding
    their place only; seeded rows have no owner, so these are the only people."""
    from places.models import District, Organisation

    User = get_user_model()
    ana, ben, cy = (User.objects.create_user(f"{n}@example.org", password="x" * 20) for n in ("ana", "ben", "cy"))
    staff = token_issue(user=User.objects.create_user("analyst@example.org", is_staff=True))
    shop = Organisation.objects.create(name="Quincaillerie", kind="MERCHANT", location="SRID=4326;POINT(-73.58 45.52)")
    shop.members.add(cy)
    here, there = District.objects.filter(layer__slug="mtl-boroughs").order_by("code")[:2]
    inside, elsewhere = here.geometry.point_on_surface, there.geometry.point_on_surface
    before = {s["district"]["code"]: s for s in gql(STATS, {"from": None}, token=staff)["data"]["areaStats"]}
    for _ in range(2):
        services.offer_create(user=ana, title="Ladder", kind="LOAN", location=inside)
    services.need_create(user=ben, title="Help moving", kind="VOLUNTEERING", location=inside)
    services.project_create(user=cy, organisation=shop, title="Tool library", location=inside)
    services.offer_create(user=cy, organisation=shop, title="Drill", kind="LOAN", location=inside)
    services.offer_create(user=ana, title="Ladder", kind="LOAN", location=elsewhere)
    after = {s["district"]["code"]: s for s in gql(STATS, {"from": None}, token=staff)["data"]["areaStats"]}
    grew = {key: after[here.code][key] - before[here.code][key] for key in ("offers", "needs", "projects")}
    assert grew == {"offers": 3, "needs": 1, "projects": 1}
    assert (after[here.code]["people"], after[here.code]["organisations"]) == (3, 1)
    assert (after[there.code]["people"], after[there.code]["organisations"]) == (1, 0)
    assert after[there.code]["offers"] - before[there.code]["offers"] == 1
