"""Whole map layers as one GeoJSON FeatureCollection built by PostGIS (ST_AsGeoJSON and json
aggregation): no Python object per feature, so a viewport of thousands of points costs what the
database spends on it. The features stay the text PostGIS wrote (an orjson.Fragment): the API's
encoder (geoschema.views) copies it into the answer without parsing it. Places are public
locations, as in every list."""

import orjson
from django.db import connection
from django.db.models import F, QuerySet

WEB_MERCATOR_HALF_M = 20037508.342789244  # from the centre to an edge of the Web Mercator square

# The properties a map needs, per kind of located thing: (GraphQL type, model fields).
PROPERTIES = {
    "OFFER": ("Offer", ["title", "kind", "status", "quantity", "unit"]),
    "NEED": ("Need", ["title", "kind", "status", "quantity", "unit"]),
    "PROJECT": ("Project", ["title", "status"]),
    "POINT_OF_INTEREST": ("PointOfInterest", ["name", "categories", "wheelchair"]),
}


def feature_collection(queryset: QuerySet, what: str, limit: int) -> tuple[dict, bool]:
    """The rows of `queryset` (already filtered and ordered) as a FeatureCollection of at most
    `limit` features, and whether there were more."""
    type_name, fields = PROPERTIES[what]
    rows = queryset.values("id", "public_location", "location_precision", *fields)
    properties = ", ".join(f"'{name}', t.{name}" for name in fields)
    return _capped_collection(
        rows,
        limit,
        type_name,
        geometry="t.public_location",
        properties=f"'precision', t.location_precision, {properties}",
    )


def district_collection(queryset: QuerySet, limit: int, zoom: int | None) -> tuple[dict, bool]:
    """The districts of `queryset` (already filtered and ordered) as a FeatureCollection of at most
    `limit` features, and whether there were more. With `zoom`, each boundary is simplified to half
    a screen pixel at that zoom (ST_SimplifyPreserveTopology in Web Mercator metres, as in the
    districts' vector tiles): a whole city's boundaries in a few kilobytes."""
    rows = queryset.values("id", "code", "name", "geometry", layer_slug=F("layer__slug"))
    geometry, simplify = "t.geometry", ()
    if zoom is not None:
        geometry = "ST_Transform(ST_SimplifyPreserveTopology(ST_Transform(t.geometry, 3857), %s), 4326)"
        simplify = (half_pixel_m(zoom),)
    properties = "'code', t.code, 'name', t.name, 'layer', t.layer_slug"
    return _capped_collection(rows, limit, "District", geometry, properties, geometry_params=simplify)


def _capped_collection(
    rows: QuerySet, limit: int, type_name: str, geometry: str, properties: str, geometry_params: tuple = ()
) -> tuple[dict, bool]:
    """`rows` (a values() queryset with an `id`) as Features of `geometry` and `properties` (SQL on
    the row `t`), at most `limit` of them, in one statement; and whether there were more."""
    inner, params = rows[: limit + 1].query.sql_with_params()
    sql = f"""
        SELECT count(*), coalesce(json_agg(json_build_object(
                 'type', 'Feature',
                 'id', encode(convert_to('{type_name}:' || t.id, 'UTF8'), 'base64'),
                 'geometry', ST_AsGeoJSON({geometry}, 7)::json,
                 'properties', json_build_object({properties})
               ) ORDER BY t.rn) FILTER (WHERE t.rn <= %s), '[]')::text
          FROM (SELECT q.*, row_number() OVER () AS rn FROM ({inner}) AS q) AS t
    """
    with connection.cursor() as cursor:
        cursor.execute(sql, [*geometry_params, limit, *params])  # in the order of the placeholders in the text
        count, features = cursor.fetchone()
    return {"type": "FeatureCollection", "features": orjson.Fragment(features)}, count > limit


def half_pixel_m(zoom: int) -> float:
    """Half a 256-pixel tile's pixel at `zoom`, in Web Mercator metres."""
    return 2 * WEB_MERCATOR_HALF_M / 256 / 2**zoom / 2
