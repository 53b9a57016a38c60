"""The benchmark's questions: each as the API is asked it (GraphQL, or a GET for tiles) and as the
raw SQL of the same question through psycopg, with the variables of its i-th asking."""

import math
import random
from base64 import b64encode

from offers.clusters import cell_range  # Django is set up by whoever imports this (bench.py, the tests)

CORE = (-73.70, 45.47, -73.55, 45.58)  # where the centres of the questions are drawn

RADIUS = """query($p: PointInput!) {
  offers(spatial: {near: {point: $p, radiusMeters: 1000}}, orderBy: DISTANCE, first: 100) {
  totalCount edges { node { id title kind distanceMeters location } } } }"""
RADIUS_SQL = """SELECT id, title, kind, ST_Distance(public_location, p) AS d, ST_AsGeoJSON(public_location),
       count(*) OVER ()
  FROM offers_offer, (SELECT ST_SetSRID(ST_MakePoint(%(x)s, %(y)s), 4326)::geography AS p) AS origin
 WHERE ST_DWithin(public_location, p, 1000) ORDER BY d, id LIMIT 100"""
NEAREST = """query($p: PointInput!) {
  offers(spatial: {near: {point: $p, radiusMeters: 5000}}, orderBy: DISTANCE, first: 20) {
  edges { node { id title kind distanceMeters location } } } }"""
NEAREST_SQL = """SELECT id, title, kind, ST_Distance(public_location, p) AS d, ST_AsGeoJSON(public_location)
  FROM offers_offer, (SELECT ST_SetSRID(ST_MakePoint(%(x)s, %(y)s), 4326)::geography AS p) AS origin
 WHERE ST_DWithin(public_location, p, 5000) ORDER BY public_location <-> p LIMIT 20"""
MATCHES = """query($n: ID!) { matches(needId: $n, first: 10) {
  score distanceMeters reasons { name value } offer { id title kind location } } }"""
# Asked anonymously, matches place both sides at their public locations (matching.selectors).
MATCHES_SQL = """SELECT o.id, o.title, o.kind, ST_Distance(o.public_location, n.public_location),
       ST_AsGeoJSON(o.public_location),
       o.quantity - coalesce((SELECT sum(p.quantity) FROM offers_pledge p
                              WHERE p.offer_id = o.id AND p.status IN ('ACCEPTED', 'FULFILLED')), 0)
  FROM offers_offer o, offers_need n
 WHERE n.id = %(n)s AND o.kind = n.kind AND o.status = 'OPEN'
   AND o.public_location && _ST_Expand(n.public_location, n.search_radius_m)
   AND ST_Distance(o.public_location, n.public_location) <= least(o.service_radius_m, n.search_radius_m)
   AND (o.categories = '{}' OR n.categories = '{}' OR o.categories && n.categories)
   AND (o.available_from IS NULL OR n.available_until IS NULL OR o.available_from <= n.available_until)
   AND (o.available_until IS NULL OR n.available_from IS NULL OR o.available_until >= n.available_from)
 ORDER BY o.public_location <-> n.public_location LIMIT 1000"""
VIEWPORT = """query($b: BBoxInput!) { mapLayer(of: OFFER, spatial: {bbox: $b}, limit: 5000) }"""
VIEWPORT_SQL = """SELECT count(*), coalesce(json_agg(json_build_object('type', 'Feature',
         'id', encode(convert_to('Offer:' || t.id, 'UTF8'), 'base64'),
         'geometry', ST_AsGeoJSON(t.public_location, 7)::json,
         'properties', json_build_object('precision', t.location_precision, 'title', t.title, 'kind', t.kind,
                                         'status', t.status, 'quantity', t.quantity, 'unit', t.unit))), '[]')::text
  FROM (SELECT * FROM offers_offer
         WHERE public_location::geometry && ST_MakeEnvelope(%(w)s, %(s)s, %(e)s, %(n)s, 4326)
           -- && compares boxes rounded outwards to float4: alone, it takes points up to ~0.5 m outside
           AND ST_X(public_location::geometry) BETWEEN %(w)s AND %(e)s
           AND ST_Y(public_location::geometry) BETWEEN %(s)s AND %(n)s
         ORDER BY id LIMIT 5000) AS t"""
TILE = "GET /tiles/offers/14/{x}/{y}.pbf"
TILE_SQL = """SELECT ST_AsMVT(t, 'offers', 4096, 'geom') FROM (
  SELECT encode(convert_to('Offer:' || o.id, 'UTF8'), 'base64') AS id, o.title, o.kind, o.status,
         ST_AsMVTGeom(ST_Transform(o.public_location::geometry, 3857),
                      ST_TileEnvelope(14, %(x)s, %(y)s), 4096, 64, true) AS geom
    FROM offers_offer o
   WHERE o.public_location::geometry && ST_Transform(ST_TileEnvelope(14, %(x)s, %(y)s), 4326)) AS t
 WHERE t.geom IS NOT NULL"""
CLUSTERS = """query($b: BBoxInput!) { clusters(bbox: $b, zoom: 11) }"""
# Clusters at zoom 11 come from the cells kept per zoom (offers.clusters): the cells that hold the
# city's points, 90 / 2^11 degrees wide (city_cells: their first and last columns and rows).
CLUSTERS_SQL = """SELECT coalesce(json_agg(json_build_object(
         'type', 'Feature', 'geometry', json_build_object('type', 'Point', 'coordinates',
            json_build_array(round((c.x / c.n)::numeric, 7), round((c.y / c.n)::numeric, 7))),
         'properties', json_build_object('count', c.n)) ORDER BY c.n DESC, c.cx, c.cy), '[]')::text
  FROM (SELECT cx, cy, sum(count) AS n, sum(sum_x) AS x, sum(sum_y) AS y FROM offers_clustercell
         WHERE layer = 'offer' AND zoom = 11 AND community_id IS NULL
           AND cx BETWEEN %(x0)s AND %(x1)s AND cy BETWEEN %(y0)s AND %(y1)s
         GROUP BY cx, cy HAVING sum(count) > 0) AS c"""
AREA_STATS = """{ areaStats(layer: "mtl-boroughs") { district { id } offers needs projects pledges people } }"""
CITY = {"west": -73.98, "south": 45.40, "east": -73.47, "north": 45.71}
DISTRICT = """query($d: ID!) { offers(spatial: {withinDistrict: $d}, first: 100) {
  totalCount edges { node { id title kind location } } } }"""
DISTRICT_SQL = """SELECT o.id, o.title, o.kind, ST_AsGeoJSON(o.public_location), count(*) OVER ()
  FROM offers_offer o JOIN offers_offer_districts od ON od.offer_id = o.id
 WHERE od.district_id = %(d)s ORDER BY o.id LIMIT 100"""


def city_cells(zoom: int) -> dict:
    """The first and last cell columns and rows of CITY at `zoom`, as the API finds them."""
    x0, y0, x1, y1 = cell_range(tuple(CITY.values()), zoom)
    return {"x0": x0, "y0": y0, "x1": x1, "y1": y1}


def centres(count: int = 50) -> list[dict]:
    """Where the questions are asked, the same every run."""
    rng = random.Random(42)
    return [{"x": rng.uniform(CORE[0], CORE[2]), "y": rng.uniform(CORE[1], CORE[3])} for _ in range(count)]


def gid(pk: int, kind: str = "District") -> str:
    return b64encode(f"{kind}:{pk}".encode()).decode()


def point(centre: dict) -> dict:
    return {"longitude": centre["x"], "latitude": centre["y"]}


def viewport(centre: dict) -> dict:
    """A map viewport around a centre: about 2.3 km by 1.7 km (a laptop screen at zoom 15)."""
    return {"west": centre["x"] - 0.015, "south": centre["y"] - 0.0075, "east": centre["x"] + 0.015,
            "north": centre["y"] + 0.0075}  # fmt: skip


def tile_xy(centre: dict, z: int = 14) -> dict:
    n = 2**z
    x = int((centre["x"] + 180) / 360 * n)
    y = int((1 - math.asinh(math.tan(math.radians(centre["y"]))) / math.pi) / 2 * n)
    return {"x": x, "y": y}


def questions(centres: list[dict], districts: list[int], needs: list[int], stats: tuple[str, dict]) -> list[tuple]:
    """(name, API question, its variables, raw SQL, its parameters) for every question; `stats` is
    the SQL of areaStats and its parameters (offers.stats.stats_query)."""
    c = lambda i: centres[i % len(centres)]  # noqa: E731
    return [
        ("radius 1 km, page of 100", RADIUS, lambda i: {"p": point(c(i))}, RADIUS_SQL, c),
        ("nearest 20", NEAREST, lambda i: {"p": point(c(i))}, NEAREST_SQL, c),
        (
            "within a borough, page of 100",
            DISTRICT,
            lambda i: {"d": gid(districts[i % len(districts)])},
            DISTRICT_SQL,
            lambda i: {"d": districts[i % len(districts)]},
        ),
        (
            "viewport of 5,000 (mapLayer)",
            VIEWPORT,
            lambda i: {"b": viewport(c(i))},
            VIEWPORT_SQL,
            lambda i: dict(zip("wsen", viewport(c(i)).values(), strict=True)),
        ),
        ("vector tile, zoom 14", TILE, lambda i: tile_xy(c(i)), TILE_SQL, lambda i: tile_xy(c(i))),
        ("clusters, whole city, zoom 11", CLUSTERS, lambda i: {"b": CITY}, CLUSTERS_SQL, lambda i: city_cells(11)),
        (
            "matches for a need, best 10",
            MATCHES,
            lambda i: {"n": gid(needs[i % len(needs)], "Need")},
            MATCHES_SQL,
            lambda i: {"n": needs[i % len(needs)]},
        ),
        ("areaStats, 19 boroughs", AREA_STATS, lambda i: {}, stats[0], lambda i: stats[1]),
    ]
