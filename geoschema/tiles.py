"""Vector tiles: `GET /tiles/{layer}/{z}/{x}/{y}.pbf`, built by PostGIS (ST_AsMVT).

Layers: offers, needs, projects, events, pois (points of interest) and districts (`?layer=<slug>`,
simplified to the tile's pixel size). Query parameters filter as in GraphQL: `kinds` (offers,
needs) and `categories` (offers, needs, events, pois), comma-separated; a parameter the layer does
not take is refused (BAD_INPUT), and a path that names no tile (an unknown layer, a zoom past 22,
x or y past 2^z - 1) is NOT_FOUND, as JSON like every error of the API. The same rules as every
list: public places only, members-only rows for members only (a bearer token in `Authorization`),
districts of layers the caller may see.
Point layers start at zoom 12. Below it, offers and needs tiles hold their clusters instead, from
the cells kept per zoom (offers.clusters): a point at each cluster's centroid with its `count`,
each cluster in the tile that holds its centroid; other point layers, and categories, ask
`clusters` for the zoomed-out view. A tile answers 204 when empty; answers carry an ETag (304 on
`If-None-Match`) and may be cached for a minute, privately when the caller sent a token.
"""

import hashlib
import math

from django.contrib.gis.geos import Polygon
from django.db import connection
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt

from accounts.permissions import only_visible, seen_communities, visible_layers
from events import selectors as event_selectors
from geoschema.errors import Code, bad_input, check_parameters, http_endpoint, http_error, limit_exceeded, not_found
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


def _list(request: HttpRequest, name: str) -> list[str] | None:
    """A comma-separated parameter; empty, no filter (as an empty list in GraphQL)."""
    values = [v.strip() for v in request.GET.get(name, "").split(",") if v.strip()]
    return values or None


def _kinds(request: HttpRequest) -> list[str] | None:
    from offers.models import HelpKind

    kinds = _list(request, "kinds")
    if kinds and (unknown := set(kinds) - set(HelpKind.values)):
        raise bad_input(f"unknown kinds {sorted(unknown)}: {', '.join(HelpKind.values)}")
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
# The query parameters each layer takes (each checked once, in _tile, before any is read).
PARAMETERS = {
    "offers": ("kinds", "categories"),
    "needs": ("kinds", "categories"),
    "projects": (),
    "events": ("categories",),
    "pois": ("categories",),
    "districts": ("layer",),
}
PATHS = f"/tiles/<layer>/<z>/<x>/<y>.pbf, layer one of {', '.join(PARAMETERS)}, z 0 to {MAX_ZOOM}, x and y 0 to 2^z - 1"


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
    slug = request.GET.get("layer")
    if not slug:
        raise bad_input("districts tiles need ?layer=<a boundary layer's slug>")
    layer = place_selectors.layer_by_slug(slug, visible=visible_layers(request.user))
    if layer is None:
        raise not_found(f"no boundary layer {slug!r}: the `layers` query lists them")
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
    """The tile's bytes; first, a path that names no tile (404), then parameters the layer does not take."""
    if layer not in PARAMETERS:
        raise not_found(f"no tile layer {layer!r}: {', '.join(PARAMETERS)}")
    if not 0 <= z <= MAX_ZOOM:
        raise not_found(f"no tile {z}/{x}/{y}: zoom is 0 to {MAX_ZOOM}")
    if not (x < 2**z and y < 2**z):  # the path's digits are never negative
        raise not_found(f"no tile {z}/{x}/{y}: at zoom {z}, x and y are 0 to {2**z - 1}")
    check_parameters(request, PARAMETERS[layer], f"{layer} tiles")
    if layer == "districts":
        return _districts_mvt(request, z, x, y)
    if z < POINTS_MIN_ZOOM:
        if layer in CLUSTER_LAYERS and not _list(request, "categories"):
            return _clusters_mvt(request, layer, z, x, y)
        raise limit_exceeded(f"{layer} tiles start at zoom {POINTS_MIN_ZOOM}: below it, ask `clusters` for the view")
    rows, columns, type_name = POINT_LAYERS[layer]
    west, south, east, north = tile_bounds(z, x, y)
    inside = located_filter(rows(request), SpatialQuery(bbox=Polygon.from_bbox((west, south, east, north))))
    return _mvt(inside.order_by(), layer, columns, type_name, z, x, y)


@http_endpoint
def tile(request: HttpRequest, layer: str, z: str, x: str, y: str) -> HttpResponse:
    body = _tile(request, layer, int(z), int(x), int(y))
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


@csrf_exempt
def no_tile(request: HttpRequest) -> HttpResponse:
    """Any other path under /tiles/: NOT_FOUND, saying what the tiles' paths are."""
    return http_error(Code.NOT_FOUND, f"no tile at {request.path}: tiles are {PATHS}")
