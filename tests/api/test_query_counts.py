"""Each list costs a fixed number of SQL queries whatever the page size (no N+1), and the spatial
queries are answered through their indexes (EXPLAIN)."""

import pytest
from django.contrib.gis.geos import Point
from django.db import connection
from django.test.utils import CaptureQueriesContext
from strawberry.relay import GlobalID

from offers import selectors as offer_selectors
from offers.models import Need, Offer, Project
from places.models import Building, District, Organisation
from places.selectors import SpatialQuery, explain, located_filter
from places.services import districts_assign
from tests.conftest import codes

pytestmark = pytest.mark.django_db
CENTRE = {"longitude": -73.58, "latitude": 45.52}


@pytest.fixture
def community():
    """A few organisations, buildings and projects with needs around the Plateau."""
    orgs = [
        Organisation.objects.create(
            name=f"Org {i}", kind="ASSOCIATION", location=Point(-73.58 + i / 1000, 45.52, srid=4326)
        )
        for i in range(12)
    ]
    for i in range(12):
        Building.objects.create(
            name=f"Building {i}", dwellings=10 + i, location=Point(-73.581 + i / 1000, 45.521, srid=4326)
        )
        project = Project.objects.create(
            title=f"Project {i}", organisation=orgs[i], location=Point(-73.579 + i / 1000, 45.519, srid=4326)
        )
        Need.objects.create(
            title=f"Need of project {i}",
            kind="MATERIAL",
            project=project,
            organisation=orgs[i],
            location=project.location,
        )
    for model in (Organisation, Building, Project, Need):
        districts_assign(model=model)


LISTS = {
    "districts": (
        'districts(layer: "mtl-quartiers", spatial: {near: {point: $p, radiusMeters: 30000}}, first: $n)',
        "code name layer { slug } parent { name layer { slug } }",
    ),
    "buildings": (
        "buildings(spatial: {near: {point: $p, radiusMeters: 3000}}, first: $n)",
        "name dwellings location district { name }",
    ),
    "pointsOfInterest": (
        "pointsOfInterest(spatial: {near: {point: $p, radiusMeters: 3000}}, orderBy: DISTANCE, first: $n)",
        "name categories distanceMeters location district { name layer { slug } }",
    ),
    "offers": (
        "offers(spatial: {near: {point: $p, radiusMeters: 3000}}, orderBy: DISTANCE, first: $n)",
        "title kind distanceMeters location organisation { name } districts { name }",
    ),
    "needs": (
        "needs(spatial: {near: {point: $p, radiusMeters: 5000}}, first: $n)",
        "title kind location project { title organisation { name } } district { name }",
    ),
    "projects": (
        "projects(spatial: {near: {point: $p, radiusMeters: 3000}}, first: $n)",
        "title status organisation { name } needs { title } district { name }",
    ),
}
# The page (its total by a window function, to-one relations joined), one query per to-many
# relation (districts, needs), and the caller's visible layers (once per request). Layers are
# filtered by visibility, so `districts` fetches its layers and parents in queries of their own
# after looking the layer up.
EXPECTED_QUERIES = {"districts": 5, "buildings": 3, "pointsOfInterest": 3, "offers": 3, "needs": 3, "projects": 4}


def count_queries(gql, field: str, size: int) -> tuple[int, int]:
    selection, fields = LISTS[field]
    query = f"query($p: PointInput!, $n: Int) {{ {selection} {{ totalCount edges {{ node {{ id {fields} }} }} }} }}"
    with CaptureQueriesContext(connection) as ctx:
        body = gql(query, {"p": CENTRE, "n": size})
    return len(ctx.captured_queries), len(body["data"][field]["edges"])


@pytest.mark.parametrize("field", list(LISTS))
def test_query_count_does_not_grow_with_the_page(gql, community, field):
    count_queries(gql, field, 1)  # warm caches (SRID lookups)
    small, small_rows = count_queries(gql, field, 2)
    large, large_rows = count_queries(gql, field, 12)
    assert large_rows > small_rows >= 1
    assert large == small == EXPECTED_QUERIES[field], f"{field}: {small} queries for 2 rows, {large} for 12"


def test_node_fetches_any_object_and_not_found_for_none(gql, community):
    offer = Offer.objects.order_by("id").first()
    body = gql(
        "query($id: ID!) { node(id: $id) { id ... on Offer { title } } }", {"id": str(GlobalID("Offer", str(offer.pk)))}
    )
    assert body["data"]["node"]["title"] == offer.title
    body = gql(
        "query($id: ID!) { node(id: $id) { id } }", {"id": str(GlobalID("Offer", "987654321"))}, expect_errors=True
    )
    assert body["data"]["node"] is None and codes(body) == ["NOT_FOUND"]


def plan(spatial: SpatialQuery, by_distance: bool = False) -> str:
    queryset = located_filter(offer_selectors.offers(), spatial, by_distance=by_distance)
    return explain(queryset[:20])


def test_radius_query_uses_the_gist_index():
    text = plan(SpatialQuery(point=Point(-73.58, 45.52, srid=4326), radius_m=500))
    spatial = ("offers_offer_public_location",)  # filters work on where others see things
    assert any(index in text for index in spatial) and "Seq Scan on offers_offer" not in text, text


def test_nearest_query_uses_the_knn_index():
    from places.geo import KnnTo

    queryset = Offer.objects.order_by(KnnTo(Point(-73.58, 45.52, srid=4326)))[:20]
    text = explain(queryset)
    assert "Index Scan using offers_offer_public_location" in text and "Order By" in text, text


def test_within_district_query_uses_the_assignment_index():
    district = District.objects.filter(layer__slug="mtl-quartiers").order_by("code").first()
    text = plan(SpatialQuery(district=district))
    assert "offers_offer_districts_district_id" in text, text


def test_within_geometry_and_bbox_use_the_planar_index():
    from django.contrib.gis.geos import Polygon

    text = plan(SpatialQuery(bbox=Polygon.from_bbox((-73.59, 45.51, -73.58, 45.52))))
    assert "offer_public_planar" in text, text


def test_a_nearest_page_without_total_is_narrowed_through_the_index(gql):
    """Without totalCount, a nearest-first page is one query: the index bound (a subquery walking
    the KNN index) and the page narrowed to it."""
    query = """query($p: PointInput!, $n: Int) {
      offers(spatial: {near: {point: $p, radiusMeters: 20000}}, orderBy: DISTANCE, first: $n) { edges { node { id } } }
    }"""
    gql(query, {"p": CENTRE, "n": 1})
    with CaptureQueriesContext(connection) as ctx:
        body = gql(query, {"p": CENTRE, "n": 5})
    assert len(body["data"]["offers"]["edges"]) == 5
    (page,) = (q["sql"] for q in ctx.captured_queries)
    assert "<->" in page and "LIMIT 6) AS nearest" in page, "the bound walks the index for the page and one more"
    assert page.count("_ST_Expand") == 3, "the page is narrowed to the bound"
