"""Vector tiles: `GET /tiles/{layer}/{z}/{x}/{y}.pbf`, built by PostGIS (ST_AsMVT).

Layers: offers, needs, projects, events, pois (points of interest) and districts (`?layer=<slug>`,
simplified to the tile's pixel size). Query parameters filter as in GraphQL: `kinds` and
`categories` (comma-separated). The same rules as every list: public places only, members-only
rows for members only (a bearer token in `Authorization`), districts of layers the caller may see.
Point layers start at zoom 12. Below it, offers and needs tiles hold their clusters instead, from
the cells kept per zoom (offers.clusters): a point at each cluster's centroid with its `count`,
each cluster in the tile that holds its centroid; other point layers, and categories, ask
`clusters` for the zoomed-out view. A tile answers 204 when empty; answers carry an ETag (304 on
`If-None-Match`) and may be cached for a minute, privately when the caller sent a token.
"""

import hashlib
import math

from django.contrib.gis.geos import Polygon
from django.db import DatabaseError, connection
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.http import require_GET

from accounts.permissions import only_visible, seen_communities, visible_layers
from events import selectors as event_selectors
from geoschema.errors import Code, database_error_response
from geoschema.features import WEB_MERCATOR_HALF_M
from offers import clusters
from offers import selectors as offer_selectors
from places import selectors as place_selectors
from places.geo import AsGeometry
from places.selectors import SpatialQuery, located_filter

POINTS_MIN_ZOOM = 12
MAX_ZOOM = 22
EXTENT = 4096
CLUSTER_LAYERS = {"offers": "OFFER", "needs": "NEED"}  # below POINTS_MIN_ZOOM, tiles of clusters
MAX_AGE_S = 60


class TileError(Exception):
    def __init__(self, status: int, code: Code, message: str):
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


def _text(request: HttpRequest, name: str) -> str | None:
    """A query parameter, refused with a NUL character (PostgreSQL cannot compare text holding one)."""
    value = request.GET.get(name)
    if value is not None and "\x00" in value:
        raise TileError(400, Code.BAD_INPUT, f"{name} must not contain a NUL character")
    return value


def _list(request: HttpRequest, name: str) -> list[str] | None:
    values = [v.strip() for v in (_text(request, name) or "").split(",") if v.strip()]
    return values or None


def _kinds(request: HttpRequest) -> list[str] | None:
    from offers.models import HelpKind

    kinds = _list(request, "kinds")
    if kinds and (unknown := set(kinds) - set(HelpKind.values)):
        raise TileError(400, Code.BAD_INPUT, f"unknown kinds {sorted(unknown)}: {', '.join(HelpKind.values)}")
    return kinds


# Each point layer: its rows for a request, and the properties a map needs.
POINT_LAYERS = {
    "offers": (
        lambda r: only_visible(offer_selectors.offers(kinds=_kinds(r), categories=_list(r, "categories")), r),
        ("title", "kind", "status"),
        "Offer",
    ),
    "needs": (
        lambda r: only_visible(offer_selectors.needs(kinds=_kinds(r), categories=_list(r, "categories")), r),
        ("title", "kind", "status"),
        "Need",
    ),
    "projects": (lambda r: only_visible(offer_selectors.projects(), r), ("title", "status"), "Project"),
    "events": (
        lambda r: only_visible(event_selectors.events(categories=_list(r, "categories")), r),
        ("title", "starts_at"),
        "Event",
    ),
    "pois": (
        lambda r: place_selectors.points_of_interest(categories=_list(r, "categories")),
        ("name", "wheelchair"),
        "PointOfInterest",
    ),
}


def tile_bounds(z: int, x: int, y: int) -> tuple[float, float, float, float]:
    """The tile's (west, south, east, north) in degrees (Web Mercator tiling, y from the north)."""
    n = 2**z

    def lon(i: int) -> float:
        return i / n * 360.0 - 180.0

    def lat(j: int) -> float:
        return math.degrees(math.atan(math.sinh(math.pi * (1 - 2 * j / n))))

    return lon(x), lat(y + 1), lon(x + 1), lat(y)


def _mvt(inner: QuerySet, name: str, columns: tuple[str, ...], type_name: str, z: int, x: int, y: int) -> bytes:
    sql, params = inner.values("id", *columns, point_geom=AsGeometry("public_location")).query.sql_with_params()
    properties = ", ".join(f"q.{c}::text AS {c}" if c.endswith("_at") else f"q.{c}" for c in columns)
    query = f"""
        SELECT ST_AsMVT(t, %s, {EXTENT}, 'geom') FROM (
          SELECT encode(convert_to('{type_name}:' || q.id, 'UTF8'), 'base64') AS id, {properties},
                 ST_AsMVTGeom(ST_Transform(q.point_geom, 3857), ST_TileEnvelope(%s, %s, %s), {EXTENT}, 64, true) AS geom
            FROM ({sql}) AS q) AS t
         WHERE t.geom IS NOT NULL"""
    with connection.cursor() as cursor:
        cursor.execute(query, [name, z, x, y, *params])
        return bytes(cursor.fetchone()[0] or b"")


def _clusters_mvt(request: HttpRequest, layer: str, z: int, x: int, y: int) -> bytes:
    """The clusters of the grid of zoom `z` whose centroid is in the tile (a cell's centroid is
    within half a cell of its node: the cells one column and row around the tile's are read too)."""
    x0, y0, x1, y1 = clusters.cell_range(tile_bounds(z, x, y), z)
    around = (x0 - 1, y0 - 1, x1 + 1, y1 + 1)
    cells, params = clusters.kept_cells(
        CLUSTER_LAYERS[layer], z, around, kinds=_kinds(request), communities=seen_communities(request)
    )
    centroid = "ST_SetSRID(ST_MakePoint(c.sum_x / c.n, c.sum_y / c.n), 4326)"
    query = f"""
        SELECT ST_AsMVT(t, %(name)s, {EXTENT}, 'geom') FROM (
          SELECT c.n::bigint AS count,
                 ST_AsMVTGeom(ST_Transform({centroid}, 3857), ST_TileEnvelope(%(z)s, %(x)s, %(y)s), {EXTENT}, 64, true)
                   AS geom
            FROM ({cells}) AS c) AS t
         WHERE t.geom IS NOT NULL"""
    with connection.cursor() as cursor:
        cursor.execute(query, {**params, "name": layer, "z": z, "x": x, "y": y})
        return bytes(cursor.fetchone()[0] or b"")


def _districts_mvt(request: HttpRequest, z: int, x: int, y: int) -> bytes:
    slug = _text(request, "layer")
    if not slug:
        raise TileError(400, Code.BAD_INPUT, "districts tiles need ?layer=<a boundary layer's slug>")
    layer = place_selectors.layer_by_slug(slug, visible=visible_layers(request.user))
    if layer is None:
        raise TileError(404, Code.NOT_FOUND, f"no boundary layer {slug!r}: the `layers` query lists them")
    pixel_m = 2 * WEB_MERCATOR_HALF_M / 2**z / EXTENT
    query = f"""
        SELECT ST_AsMVT(t, 'districts', {EXTENT}, 'geom') FROM (
          SELECT encode(convert_to('District:' || d.id, 'UTF8'), 'base64') AS id, d.code, d.name,
                 ST_AsMVTGeom(ST_SimplifyPreserveTopology(ST_Transform(d.geometry, 3857), %s),
                              ST_TileEnvelope(%s, %s, %s), {EXTENT}, 64, true) AS geom
            FROM places_district d
           WHERE d.layer_id = %s AND d.geometry && ST_Transform(ST_TileEnvelope(%s, %s, %s), 4326)) AS t
         WHERE t.geom IS NOT NULL"""
    with connection.cursor() as cursor:
        cursor.execute(query, [pixel_m, z, x, y, layer.pk, z, x, y])
        return bytes(cursor.fetchone()[0] or b"")


def _tile(request: HttpRequest, layer: str, z: int, x: int, y: int) -> bytes:
    if not 0 <= z <= MAX_ZOOM:
        raise TileError(400, Code.BAD_INPUT, f"zoom is 0 to {MAX_ZOOM}, got {z}")
    if not (0 <= x < 2**z and 0 <= y < 2**z):
        raise TileError(400, Code.BAD_INPUT, f"at zoom {z}, x and y are 0 to {2**z - 1}, got {x}/{y}")
    if layer == "districts":
        return _districts_mvt(request, z, x, y)
    if layer not in POINT_LAYERS:
        raise TileError(404, Code.NOT_FOUND, f"no tile layer {layer!r}: {', '.join([*POINT_LAYERS, 'districts'])}")
    if z < POINTS_MIN_ZOOM:
        if layer in CLUSTER_LAYERS and not _list(request, "categories"):
            return _clusters_mvt(request, layer, z, x, y)
        message = f"{layer} tiles start at zoom {POINTS_MIN_ZOOM}: below it, ask `clusters` for the view"
        raise TileError(400, Code.LIMIT_EXCEEDED, message)
    rows, columns, type_name = POINT_LAYERS[layer]
    west, south, east, north = tile_bounds(z, x, y)
    inside = located_filter(rows(request), SpatialQuery(bbox=Polygon.from_bbox((west, south, east, north))))
    return _mvt(inside.order_by(), layer, columns, type_name, z, x, y)


@require_GET
def tile(request: HttpRequest, layer: str, z: str, x: str, y: str) -> HttpResponse:
    try:
        body = _tile(request, layer, int(z), int(x), int(y))
    except TileError as exc:
        return JsonResponse({"error": {"code": exc.code, "message": exc.message}}, status=exc.status)
    except DatabaseError as exc:
        return database_error_response(exc)
    etag = f'"{hashlib.sha256(body).hexdigest()[:32]}"'
    private = "Authorization" in request.headers
    if request.headers.get("If-None-Match") == etag:
        response = HttpResponse(status=304)
    elif not body:
        response = HttpResponse(status=204)
    else:
        response = HttpResponse(body, content_type="application/vnd.mapbox-vector-tile")
    response["ETag"] = etag
    response["Cache-Control"] = f"{'private' if private else 'public'}, max-age={MAX_AGE_S}"
    response["Vary"] = "Authorization"
    return response
