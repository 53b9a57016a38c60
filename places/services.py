"""Writes on places: keeping districts valid, measured, subdivided, and every located row
assigned to the districts that hold it. The heavy lifting is set-based SQL in PostGIS."""

from collections.abc import Iterable

from django.apps import apps
from django.db import connection, transaction

from places.models import BoundaryLayer, Located

# Vertices per piece of a subdivided district: small pieces make point-in-polygon cheap.
SUBDIVIDE_MAX_VERTICES = 128


def lift_statement_timeout() -> None:
    """Inside a transaction: let bulk work (imports, seeding) run past the API's statement timeout."""
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL statement_timeout = 0")


def located_models() -> list[type[Located]]:
    """Every concrete model that has a location and belongs to districts."""
    return [m for m in apps.get_models() if issubclass(m, Located)]


def _through(model: type[Located]) -> tuple[str, str, str]:
    through = model.districts.through
    owner_column = through._meta.get_field(model._meta.model_name).column
    return through._meta.db_table, owner_column, through._meta.get_field("district").column


@transaction.atomic
def layer_refresh(*, layer: BoundaryLayer, parent_layer: BoundaryLayer | None = None) -> int:
    """Repair the layer's invalid polygons, measure them, cut them into indexed pieces, tie them
    to their parents in `parent_layer`, and reassign every located row for this layer.

    Returns how many polygons had to be repaired.
    """
    with connection.cursor() as cursor:
        cursor.execute(
            """
            UPDATE places_district
               SET geometry = ST_Multi(ST_CollectionExtract(ST_MakeValid(geometry), 3))
             WHERE layer_id = %s AND NOT ST_IsValid(geometry)
            """,
            [layer.pk],
        )
        repaired = cursor.rowcount
        cursor.execute(
            "UPDATE places_district SET area_m2 = ST_Area(geometry::geography) WHERE layer_id = %s",
            [layer.pk],
        )
        cursor.execute(
            "DELETE FROM places_districtpart WHERE district_id IN (SELECT id FROM places_district WHERE layer_id = %s)",
            [layer.pk],
        )
        cursor.execute(
            """
            INSERT INTO places_districtpart (district_id, geometry)
            SELECT id, ST_Subdivide(geometry, %s) FROM places_district WHERE layer_id = %s
            """,
            [SUBDIVIDE_MAX_VERTICES, layer.pk],
        )
    if parent_layer is not None:
        districts_link_parents(layer=layer, parent_layer=parent_layer)
    for model in located_models():
        districts_assign(model=model, layer=layer)
    return repaired


def districts_link_parents(*, layer: BoundaryLayer, parent_layer: BoundaryLayer, min_share: float = 0.5) -> int:
    """Set each district's parent to the district of `parent_layer` that covers most of it.

    Boundaries drawn by different publishers rarely line up exactly, so containment is judged by
    shared area: a parent must hold at least `min_share` of the child. Returns how many got one.
    """
    with connection.cursor() as cursor:
        cursor.execute(
            """
            UPDATE places_district AS child
               SET parent_id = best.parent_id
              FROM (
                SELECT DISTINCT ON (c.id) c.id AS child_id, p.id AS parent_id,
                       ST_Area(ST_Intersection(c.geometry, p.geometry)) / NULLIF(ST_Area(c.geometry), 0) AS share
                  FROM places_district c
                  JOIN places_district p ON p.layer_id = %s AND p.geometry && c.geometry
                 WHERE c.layer_id = %s
                 ORDER BY c.id, share DESC NULLS LAST
              ) AS best
             WHERE child.id = best.child_id AND best.share >= %s
            """,
            [parent_layer.pk, layer.pk, min_share],
        )
        return cursor.rowcount


def districts_assign(
    *, model: type[Located], layer: BoundaryLayer | None = None, ids: Iterable[int] | None = None
) -> None:
    """(Re)assign rows of `model` to the districts that hold their public location: all layers or
    one, all rows or some.

    The public location, not the exact one: district membership is shown to everyone (the
    `district` field, `withinDistrict`, statistics), and for a person who shares a ~200 m cell it
    must not tell which side of a border they live on. A point on the border of two districts
    belongs to both, as it does for PostGIS' intersects.
    """
    table, owner_col, district_col = _through(model)
    where, params = ["TRUE"], []
    if layer is not None:
        where.append("p_district.layer_id = %s")
        params.append(layer.pk)
    row_filter, row_params = "", []
    if ids is not None:
        ids = list(ids)
        row_filter, row_params = "AND o.id = ANY(%s)", [ids]
    with connection.cursor() as cursor:
        delete_sql = (
            f"DELETE FROM {table} t USING places_district p_district"
            f" WHERE p_district.id = t.{district_col} AND {' AND '.join(where)}"
        )
        if ids is not None:
            delete_sql += f" AND t.{owner_col} = ANY(%s)"
        cursor.execute(delete_sql, params + row_params)
        cursor.execute(
            f"""
            INSERT INTO {table} ({owner_col}, {district_col})
            SELECT DISTINCT o.id, part.district_id
              FROM {model._meta.db_table} o
              JOIN places_districtpart part ON ST_Intersects(part.geometry, o.public_location::geometry)
              JOIN places_district p_district ON p_district.id = part.district_id
             WHERE {" AND ".join(where)} {row_filter}
            """,
            params + row_params,
        )


def located_assign_districts(instance: Located) -> None:
    """Assign one freshly written row to its districts in every layer."""
    districts_assign(model=type(instance), ids=[instance.pk])
