"""Given thousands of offers on a map, when the frontend asks for the clusters of its view, then it
gets the cells of the zoom's grid that hold the view's points, each with the count and centroid of
all its points: up to zoom 14 from cells that triggers keep on every write (COPY, ORM, bulk
updates, deletes, TRUNCATE), beyond it or with a filter the cells do not have from the rows, and
both ways the answer that Python computes from the rows themselves."""

import threading
from collections import defaultdict

import orjson
import pytest
from django.contrib.gis.geos import Point
from django.db import connection
from django.test.utils import CaptureQueriesContext

from offers import clusters, services
from offers.models import ClusterCell, Need, Offer
from tests.conftest import codes

pytestmark = pytest.mark.django_db
BBOX = {"west": -73.64, "south": 45.48, "east": -73.54, "north": 45.56}
CLUSTERS = """query($b: BBoxInput!, $z: Int!, $of: MapLayerKind! = OFFER, $kinds: [HelpKind!], $categories: [String!]) {
  clusters(bbox: $b, zoom: $z, of: $of, kinds: $kinds, categories: $categories)
}"""


def expected_clusters(rows, bbox: dict, zoom: int) -> list[tuple]:
    """(count, centroid x, centroid y) of every cell holding a point of `bbox`, from the rows."""
    size = 90 / 2**zoom
    columns = range(round(bbox["west"] / size), round(bbox["east"] / size) + 1)
    lines = range(round(bbox["south"] / size), round(bbox["north"] / size) + 1)
    cells = defaultdict(list)
    for row in rows:
        x, y = row.public_location.x, row.public_location.y
        cells[(round(x / size), round(y / size))].append((x, y))
    inside = [points for (cx, cy), points in cells.items() if cx in columns and cy in lines]
    return sorted((len(p), sum(x for x, _ in p) / len(p), sum(y for _, y in p) / len(p)) for p in inside)


def assert_same_clusters(features: list[dict], expected: list[tuple]) -> None:
    got = sorted((f["properties"]["count"], *f["geometry"]["coordinates"]) for f in features)
    assert [n for n, _, _ in got] == [n for n, _, _ in expected]
    for (_, x, y), (_, ex, ey) in zip(got, expected, strict=True):
        assert x == pytest.approx(ex, abs=1e-6) and y == pytest.approx(ey, abs=1e-6)
    counts = [f["properties"]["count"] for f in features]
    assert counts == sorted(counts, reverse=True), "largest first"


def ask(gql, zoom: int, **variables) -> tuple[list[dict], bool]:
    """The clusters' features, and whether the kept cells answered."""
    with CaptureQueriesContext(connection) as ctx:
        body = gql(CLUSTERS, {"b": BBOX, "z": zoom, **variables})
    return body["data"]["clusters"]["features"], any("offers_clustercell" in q["sql"] for q in ctx.captured_queries)


@pytest.mark.parametrize(("zoom", "from_cells"), [(10, True), (13, True), (14, True), (15, False), (17, False)])
def test_clusters_are_the_cells_holding_the_views_points(gql, zoom, from_cells):
    features, used_cells = ask(gql, zoom)
    offers = Offer.objects.only("public_location")
    inside = [
        o
        for o in offers
        if BBOX["west"] <= o.public_location.x <= BBOX["east"] and BBOX["south"] <= o.public_location.y <= BBOX["north"]
    ]
    assert used_cells is from_cells
    assert_same_clusters(features, expected_clusters(offers, BBOX, zoom))
    total = sum(f["properties"]["count"] for f in features)
    assert len(inside) > 300 and total >= len(inside), "every point of the view is counted"


def test_kinds_needs_and_categories_answer_from_cells_or_rows_alike(gql):
    features, used_cells = ask(gql, 12, kinds=["MEAL", "MONEY"])
    assert used_cells
    assert_same_clusters(features, expected_clusters(Offer.objects.filter(kind__in=["MEAL", "MONEY"]), BBOX, 12))
    features, used_cells = ask(gql, 12, of="NEED")
    assert used_cells
    assert_same_clusters(features, expected_clusters(Need.objects.all(), BBOX, 12))
    category = Offer.objects.exclude(categories=[]).values_list("categories", flat=True).first()[0]
    features, used_cells = ask(gql, 12, categories=[category])
    assert not used_cells
    assert_same_clusters(features, expected_clusters(Offer.objects.filter(categories__contains=[category]), BBOX, 12))
    assert features


def cells_from_rows(model, layer: str) -> dict:
    """What the kept cells of `layer` must hold, computed in Python from the table's rows."""
    cells = defaultdict(lambda: [0, 0.0, 0.0])
    for row in model.objects.only("public_location", "kind", "community_id"):
        x, y = row.public_location.x, row.public_location.y
        for zoom in range(clusters.KEPT_ZOOM + 1):
            size = clusters.cell_size(zoom)
            cell = cells[(zoom, round(x / size), round(y / size), row.kind, row.community_id)]
            cell[0] += 1
            cell[1] += x
            cell[2] += y
    return cells


def assert_cells_follow_rows(model, layer: str) -> None:
    kept = {
        (c.zoom, c.cx, c.cy, c.kind, c.community_id): (c.count, c.sum_x, c.sum_y)
        for c in ClusterCell.objects.filter(layer=layer, count__gt=0)
    }
    expected = cells_from_rows(model, layer)
    assert kept.keys() == expected.keys()
    for key, (count, sum_x, sum_y) in expected.items():
        assert kept[key][0] == count, key
        assert kept[key][1] == pytest.approx(sum_x, abs=1e-6) and kept[key][2] == pytest.approx(sum_y, abs=1e-6)
    assert not ClusterCell.objects.filter(layer=layer, count__lt=0).exists()


def test_the_kept_cells_follow_every_kind_of_write(coop_member):
    user, community = coop_member
    assert_cells_follow_rows(Offer, "offer")  # as seed_demo's COPY left them
    place = {"location_precision": "EXACT", "service_radius_m": 1000}
    first = services.offer_create(user=user, title="Ladder", kind="LOAN", location=Point(-73.58, 45.52), **place)
    services.offer_create(user=user, title="Soup", kind="MEAL", location=Point(-73.60, 45.50), **place)
    Offer.objects.bulk_create(
        Offer(title=f"Crate {i}", kind="MATERIAL", location=Point(-73.57 + i / 100, 45.53), location_precision="EXACT")
        for i in range(3)
    )
    services.offer_update(user=user, offer=first, location=Point(-73.30, 45.70))  # moved far: other cells
    services.offer_update(user=user, offer=first, community=community)  # members-only now
    Offer.objects.filter(title__startswith="Crate").update(kind="STORAGE")  # one statement, three rows
    Offer.objects.filter(pk__in=Offer.objects.order_by("pk").values("pk")[:5]).update(title="Renamed")
    Offer.objects.filter(pk__in=Offer.objects.order_by("-pk").values("pk")[1:40]).delete()
    assert_cells_follow_rows(Offer, "offer")
    need = {"location_precision": "EXACT", "search_radius_m": 1000, "location": Point(-73.58, 45.52)}
    services.need_create(user=user, title="Boxes", kind="MATERIAL", **need)
    Need.objects.filter(pk=Need.objects.order_by("pk").values("pk")[:1]).delete()
    assert_cells_follow_rows(Need, "need")


def test_truncating_a_table_empties_its_cells_only():
    needs = ClusterCell.objects.filter(layer="need").count()
    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE offers_offer CASCADE")
    assert not ClusterCell.objects.filter(layer="offer").exists()
    assert ClusterCell.objects.filter(layer="need").count() == needs > 0


def test_members_only_offers_count_for_members_only(gql, coop_member):
    user, community = coop_member
    place = {"location_precision": "EXACT", "service_radius_m": 1000, "location": Point(-73.58, 45.52)}
    services.offer_create(user=user, title="Coop drill", kind="LOAN", community=community, **place)
    view = {"west": -73.59, "south": 45.51, "east": -73.57, "north": 45.53}

    def counted(communities) -> int:
        collection = orjson.loads(orjson.dumps(clusters.kept("OFFER", 12, tuple(view.values()), kinds=None,
                                                              communities=communities)))  # fmt: skip
        return sum(f["properties"]["count"] for f in collection["features"])

    public, member, staff = counted(set()), counted({community.pk}), counted(None)
    assert member == public + 1 and staff >= member
    anonymous = gql(CLUSTERS, {"b": view, "z": 12})["data"]["clusters"]["features"]
    assert sum(f["properties"]["count"] for f in anonymous) == public


def test_a_zoomed_out_view_of_any_size_comes_from_the_cells(gql):
    province = {"west": -80.0, "south": 44.0, "east": -66.0, "north": 53.0}  # 14 degrees wide
    features = gql(CLUSTERS, {"b": province, "z": 6})["data"]["clusters"]["features"]
    assert sum(f["properties"]["count"] for f in features) == Offer.objects.filter(community__isnull=True).count()
    assert_same_clusters(features, expected_clusters(Offer.objects.filter(community__isnull=True), province, 6))
    # Grouping rows (a category) keeps the viewport bound of every list; too many cells for any view is refused.
    body = gql(CLUSTERS, {"b": province, "z": 6, "categories": ["tools"]}, expect_errors=True)
    assert codes(body) == ["LIMIT_EXCEEDED"]
    assert codes(gql(CLUSTERS, {"b": province, "z": 14}, expect_errors=True)) == ["LIMIT_EXCEEDED"]


def test_bad_zoom_and_layers_are_refused(gql):
    assert codes(gql(CLUSTERS, {"b": BBOX, "z": 23}, expect_errors=True)) == ["BAD_INPUT"]
    assert codes(gql(CLUSTERS, {"b": BBOX, "z": -1}, expect_errors=True)) == ["BAD_INPUT"]
    assert codes(gql(CLUSTERS, {"b": BBOX, "z": 12, "of": "DISTRICT"}, expect_errors=True)) == ["BAD_INPUT"]


@pytest.fixture
def coop_member():
    from django.contrib.auth import get_user_model

    from accounts import services as accounts

    user = get_user_model().objects.create_user("dana@example.org", password="x" * 20)
    return user, accounts.community_create(user=user, name="Coop du Parc", kind="COOPERATIVE")


def test_concurrent_writers_all_count(django_db_blocker):
    """Eight connections create offers of one kind at the same moment (they share the coarse
    zooms' cells): every offer is counted once, and deleting them takes them all away. Not inside
    a test transaction: the writers commit, so the test cleans up after itself."""
    barrier = threading.Barrier(8)

    def write(k: int) -> None:
        barrier.wait()
        try:
            for i in range(5):
                services.offer_create(
                    user=None, title=f"race {k}-{i}", kind="CARPOOL", location=Point(-73.58 + k / 200, 45.52 + i / 200),
                    location_precision="EXACT", service_radius_m=1000,
                )  # fmt: skip
        finally:
            connection.close()

    with django_db_blocker.unblock():
        try:
            threads = [threading.Thread(target=write, args=(k,)) for k in range(8)]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            assert Offer.objects.filter(title__startswith="race ").count() == 40
            assert_cells_follow_rows(Offer, "offer")
        finally:
            Offer.objects.filter(title__startswith="race ").delete()
        assert_cells_follow_rows(Offer, "offer")
