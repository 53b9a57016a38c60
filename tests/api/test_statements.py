"""Statements kept per query shape (geoschema.statements): a kept statement, filled with another
request's point and radius, is exactly the statement the ORM compiles for that request; what is
not a point or a radius is part of the shape; a statement that a number reaches any other way is
never kept."""

import random

import pytest
from django.contrib.gis.geos import Point
from django.db import connection
from django.db.models import QuerySet

from geoschema import statements
from geoschema.pagination import _nearest_window
from offers.models import Offer
from places.selectors import SpatialQuery, located_filter

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def no_kept_statements():
    statements.shapes.clear()
    yield
    statements.shapes.clear()


def nearest(x: float, y: float, radius: float, **filters) -> QuerySet:
    spatial = SpatialQuery(point=Point(x, y, srid=4326), radius_m=radius)
    return located_filter(Offer.objects.filter(**filters).order_by("id"), spatial, by_distance=True)


def page(nodes):
    """A nearest-first page of 20 as compiled pages build it: the KNN window, then the rows."""
    return _nearest_window(nodes, after=None, first=20).values_list("id", "distance_meters")[:21]


def compiled(queryset: QuerySet) -> tuple[str, list]:
    sql, params = queryset.query.sql_with_params()
    return sql, list(params)


def places(count: int, seed: int) -> list[tuple[float, float, float]]:
    rng = random.Random(seed)
    return [
        (rng.uniform(-73.75, -73.5), rng.uniform(45.45, 45.6), rng.choice([300, 1000, 2500.5])) for _ in range(count)
    ]


def test_a_kept_statement_is_the_statement_compiled_for_each_request():
    # given one shape of question asked from twenty places with three radii
    for x, y, radius in places(20, seed=1):
        nodes = nearest(x, y, radius)
        # when its statement is asked for, then it is what the ORM compiles for this very request
        assert statements.statement(nodes, page, "extra") == compiled(page(nodes))
    # and one statement was kept for all of them, with slots for the numbers
    (kept,) = statements.shapes.kept.values()
    sql, template = kept
    assert sum(type(p) is statements._Slot for p in template) >= 8  # two points and a radius, at least


def test_the_rows_of_a_kept_statement_are_the_rows_of_the_queryset():
    for x, y, radius in places(8, seed=2):
        nodes = nearest(x, y, radius)
        sql, params = statements.statement(nodes, page, "extra")
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            assert cursor.fetchall() == list(page(nodes))
    assert len(statements.shapes.kept) == 1


def test_what_is_not_a_point_or_a_radius_is_part_of_the_shape():
    # given the same place asked with other kinds, another visibility, another caller's extra
    x, y, radius = places(1, seed=3)[0]
    variants = [
        (lambda: nearest(x, y, radius), "extra"),
        (lambda: nearest(x, y, radius, kind="MEAL"), "extra"),
        (lambda: nearest(x, y, radius, kind__in=["MEAL", "LOAN"]), "extra"),
        (lambda: nearest(x, y, radius, community_id__in=[1, 2]), "extra"),
        (lambda: nearest(x, y, radius), "another caller"),
    ]
    # when each is asked twice (built afresh, as each request does), then each has a statement of
    # its own, and each answer is its own
    for _ in range(2):
        for nodes, extra in variants:
            assert statements.statement(nodes(), page, extra) == compiled(page(nodes()))
    assert len(statements.shapes.kept) == len(variants)


def test_a_number_that_reaches_the_statement_another_way_is_never_kept():
    # given a build that puts a number derived from the point into the statement
    def derived(nodes):
        x = nodes.query.annotations["distance_meters"].numbers[0]
        return nodes.filter(id__gte=round(x) + 74).values_list("id")

    for x, y, radius in places(3, seed=4):
        nodes = nearest(x, y, radius)
        # when its statement is asked for, then it is compiled for each request, never kept
        assert statements.statement(nodes, derived, "extra") == compiled(derived(nodes))
    assert list(statements.shapes.kept.values()) == [statements.NOT_KEPT]


def test_sql_that_depends_on_a_number_is_never_kept():
    def branching(nodes):
        east = nodes.query.annotations["distance_meters"].numbers[0] > -73.6
        return (nodes.filter(kind="MEAL") if east else nodes).values_list("id")

    for x, y, radius in [(-73.7, 45.5, 500), (-73.55, 45.5, 500)]:
        nodes = nearest(x, y, radius)
        assert statements.statement(nodes, branching, "extra") == compiled(branching(nodes))
    assert list(statements.shapes.kept.values()) == [statements.NOT_KEPT]


def test_the_oldest_shapes_go_first(monkeypatch):
    monkeypatch.setattr(statements, "SHAPES_KEPT", 2)
    for kind in ("MEAL", "LOAN", "MONEY"):
        statements.statement(nearest(-73.6, 45.5, 500, kind=kind), page, "extra")
    assert len(statements.shapes.kept) == 2


def test_statements_are_not_kept_when_switched_off(settings):
    settings.QUARTIER = {**settings.QUARTIER, "KEPT_STATEMENTS": False}
    for x, y, radius in places(3, seed=6):
        nodes = nearest(x, y, radius)
        assert statements.statement(nodes, page, "extra") == compiled(page(nodes))
    assert not statements.shapes.kept
