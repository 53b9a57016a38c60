"""Clusters: the points of a map layer grouped for a zoom level, so that a map shows a million
offers without receiving them.

The grid of a zoom has cells of 90 / 2^zoom degrees (about 64 screen pixels); a point belongs to
the cell of its nearest grid node, (round(x / size), round(y / size)), as ST_SnapToGrid puts it.
A view's clusters are the cells that hold its points, each with all of its points: their count
and centroid (the mean of their coordinates). A cell at the edge of the view also counts the
points it holds just outside, so a cluster stays the same while the map pans.

Offers and needs up to zoom 14 come from `ClusterCell`, which triggers keep up to date on every
write (offers/sql/cluster_cells.sql): a whole city is a few hundred cells, whatever the number of
offers. A filter the cells do not have (categories), another layer (projects, points of
interest) or a closer zoom groups the rows themselves, with the same answer.
"""

import orjson
from django.contrib.gis.geos import Polygon
from django.db import connection
from django.db.models import QuerySet

from places.geo import Latitude, Longitude
from places.selectors import SpatialQuery, located_filter

KEPT_ZOOM = 14  # the cells are kept for zooms 0 to KEPT_ZOOM (as in offers/sql/cluster_cells.sql)
KEPT_LAYERS = {"OFFER": "offer", "NEED": "need"}
CELLS_MAX = 65_536  # cells a view may cover: 256 x 256, a screen 16,384 pixels wide and high

# Each cluster as a GeoJSON Feature, from rows of (n, sum_x, sum_y, cx, cy): largest first.
FEATURES = """
    SELECT coalesce(json_agg(json_build_object(
             'type', 'Feature',
             'geometry', json_build_object('type', 'Point', 'coordinates', json_build_array(
                            round((c.sum_x / c.n)::numeric, 7), round((c.sum_y / c.n)::numeric, 7))),
             'properties', json_build_object('count', c.n)
           ) ORDER BY c.n DESC, c.cx, c.cy), '[]')::text
      FROM ({cells}) AS c
"""

KEPT_CELLS = """
    SELECT sum(count) AS n, sum(sum_x) AS sum_x, sum(sum_y) AS sum_y, cx, cy
      FROM offers_clustercell
     WHERE layer = %(layer)s AND zoom = %(zoom)s
       AND cx BETWEEN %(x0)s AND %(x1)s AND cy BETWEEN %(y0)s AND %(y1)s
       AND (%(any_kind)s OR kind = ANY(%(kinds)s))
       AND (community_id IS NULL OR %(all_communities)s OR community_id = ANY(%(communities)s))
     GROUP BY cx, cy
    HAVING sum(count) > 0
"""


def cell_size(zoom: int) -> float:
    """A grid cell's side at `zoom`, in degrees: a quarter of a 256-pixel tile."""
    return 90 / 2**zoom


def cell_range(bbox: tuple[float, float, float, float], zoom: int) -> tuple[int, int, int, int]:
    """The first and last cell columns and rows holding points of `bbox` (round is monotonic: a
    point between west and east lies in a column between theirs)."""
    size = cell_size(zoom)
    west, south, east, north = bbox
    return round(west / size), round(south / size), round(east / size), round(north / size)


def cell_count(bbox: tuple[float, float, float, float], zoom: int) -> int:
    """How many cells of the grid of `zoom` hold the points of `bbox` (empty or not)."""
    x0, y0, x1, y1 = cell_range(bbox, zoom)
    return (x1 - x0 + 1) * (y1 - y0 + 1)


def kept(of: str, zoom: int, bbox: tuple, *, kinds: list[str] | None, communities: set[int] | None) -> dict:
    """The clusters of offers or needs (`of`) from the kept cells; `communities`: the members-only
    ones the caller sees (None: all of them, as for staff)."""
    cells, params = kept_cells(of, zoom, cell_range(bbox, zoom), kinds=kinds, communities=communities)
    return _collection(FEATURES.format(cells=cells), params)


def kept_cells(
    of: str, zoom: int, cells: tuple[int, int, int, int], *, kinds: list[str] | None, communities: set[int] | None
) -> tuple[str, dict]:
    """The SQL of the kept cells in the range `cells` (first and last column and row), with their
    rows (n, sum_x, sum_y, cx, cy), and its parameters."""
    x0, y0, x1, y1 = cells
    params = {
        "layer": KEPT_LAYERS[of],
        "zoom": zoom,
        "x0": x0,
        "x1": x1,
        "y0": y0,
        "y1": y1,
        "any_kind": not kinds,
        "kinds": list(kinds or ()),
        "all_communities": communities is None,
        "communities": sorted(communities or ()),
    }
    return KEPT_CELLS, params


def grouped(queryset: QuerySet, zoom: int, bbox: tuple) -> dict:
    """The clusters of the rows of `queryset` (filtered but for the view), grouped from the rows:
    those in the cells of the view, found through the index with a box one cell wider."""
    size = cell_size(zoom)
    x0, y0, x1, y1 = cell_range(bbox, zoom)
    around = ((x0 - 1) * size, (y0 - 1) * size, (x1 + 1) * size, (y1 + 1) * size)
    around = Polygon.from_bbox((max(around[0], -180), max(around[1], -90), min(around[2], 180), min(around[3], 90)))
    rows = located_filter(queryset, SpatialQuery(bbox=around)).order_by()
    points = rows.values(x=Longitude("public_location"), y=Latitude("public_location"))
    inner, inner_params = points.query.sql_with_params()
    cells = f"""
        SELECT count(*) AS n, sum(p.x) AS sum_x, sum(p.y) AS sum_y, p.cx, p.cy
          FROM (SELECT q.x, q.y, round(q.x / %s)::int AS cx, round(q.y / %s)::int AS cy FROM ({inner}) AS q) AS p
         WHERE p.cx BETWEEN %s AND %s AND p.cy BETWEEN %s AND %s
         GROUP BY p.cx, p.cy"""
    return _collection(FEATURES.format(cells=cells), [size, size, *inner_params, x0, x1, y0, y1])


def _collection(sql: str, params) -> dict:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return {"type": "FeatureCollection", "features": orjson.Fragment(cursor.fetchone()[0])}
