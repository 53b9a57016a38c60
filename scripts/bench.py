#!/usr/bin/env python
"""The benchmark: `make bench` (or `python scripts/bench.py --offers 100000`).

Loads N offers with seed_demo into a database of its own (`<name>_bench` beside DATABASE_URL's),
starts the API as in production (uvicorn, 2 workers, pooled connections) and prints, for each
question, the latency over HTTP (median and p95), the time of the raw SQL of the same question
through psycopg, and their ratio: the figure that holds on a noisy machine. Then throughput with
8 concurrent clients.
"""

import argparse
import json
import math
import os
import random
import statistics
import subprocess
import sys
import threading
import time
from base64 import b64encode
from pathlib import Path
from urllib.parse import urlparse, urlunparse

import httpx
import psycopg

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "data"
BOROUGHS = SHARED / "montreal" / "arrondissements_19_derived.geojson"
PYTHON = sys.executable
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
MATCHES_SQL = """SELECT o.id, o.title, o.kind, ST_Distance(o.location, n.location), ST_AsGeoJSON(o.location),
       o.quantity - coalesce((SELECT sum(p.quantity) FROM offers_pledge p
                              WHERE p.offer_id = o.id AND p.status IN ('ACCEPTED', 'FULFILLED')), 0)
  FROM offers_offer o, offers_need n
 WHERE n.id = %(n)s AND o.kind = n.kind AND o.status = 'OPEN'
   AND o.location && _ST_Expand(n.location, n.search_radius_m)
   AND ST_Distance(o.location, n.location) <= least(o.service_radius_m, n.search_radius_m)
   AND (o.categories = '{}' OR n.categories = '{}' OR o.categories && n.categories)
   AND (o.available_from IS NULL OR n.available_until IS NULL OR o.available_from <= n.available_until)
   AND (o.available_until IS NULL OR n.available_from IS NULL OR o.available_until >= n.available_from)
 ORDER BY o.location <-> n.location LIMIT 1000"""
VIEWPORT = """query($b: BBoxInput!) { mapLayer(of: OFFER, spatial: {bbox: $b}, limit: 5000) }"""
VIEWPORT_SQL = """SELECT count(*), coalesce(json_agg(json_build_object('type', 'Feature',
         'id', encode(convert_to('Offer:' || t.id, 'UTF8'), 'base64'),
         'geometry', ST_AsGeoJSON(t.public_location, 7)::json,
         'properties', json_build_object('precision', t.location_precision, 'title', t.title, 'kind', t.kind,
                                         'status', t.status, 'quantity', t.quantity, 'unit', t.unit))), '[]')::text
  FROM (SELECT * FROM offers_offer
         WHERE public_location::geometry && ST_MakeEnvelope(%(w)s, %(s)s, %(e)s, %(n)s, 4326)
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
CLUSTERS_SQL = """SELECT coalesce(json_agg(json_build_object(
         'type', 'Feature', 'geometry', ST_AsGeoJSON(c.centre, 7)::json,
         'properties', json_build_object('count', c.n)) ORDER BY c.n DESC), '[]')::text
  FROM (SELECT count(*) AS n, ST_Centroid(ST_Collect(public_location::geometry)) AS centre FROM offers_offer
         WHERE public_location::geometry && ST_MakeEnvelope(-73.98, 45.40, -73.47, 45.71, 4326)
         GROUP BY ST_SnapToGrid(public_location::geometry, 360.0 / 2048 / 4)) AS c"""
CITY = {"west": -73.98, "south": 45.40, "east": -73.47, "north": 45.71}
ALLOCATION = """query($d: ID!) { suggestAllocation(districtId: $d) { needsCovered unitsAllocated } }"""
DISTRICT = """query($d: ID!) { offers(spatial: {withinDistrict: $d}, first: 100) {
  totalCount edges { node { id title kind location } } } }"""
DISTRICT_SQL = """SELECT o.id, o.title, o.kind, ST_AsGeoJSON(o.public_location), count(*) OVER ()
  FROM offers_offer o JOIN offers_offer_districts od ON od.offer_id = o.id
 WHERE od.district_id = %(d)s ORDER BY o.id LIMIT 100"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--offers", type=int, default=100_000)
    parser.add_argument("--needs", type=int, default=10_000)
    parser.add_argument("--requests", type=int, default=200, help="requests per question")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--allocations", type=int, default=1, help="boroughs to time suggestAllocation on")
    parser.add_argument("--json", help="also write the figures to this file")
    args = parser.parse_args()

    env = bench_environment()
    prepare(env, args.offers, args.needs)
    server = start_server(env, args.port)
    try:
        rows = run(env, args)
    finally:
        server.terminate()
        server.wait(timeout=20)
    if args.json:
        Path(args.json).write_text(json.dumps(rows, indent=2))


def bench_environment(suffix: str = "_bench") -> dict:
    """The environment of a server on a database of its own, beside DATABASE_URL's (created if missing)."""
    base = os.environ.get("DATABASE_URL") or (
        f"postgis://quartier:quartier@127.0.0.1:{os.environ.get('QUARTIER_PG_PORT', '54329')}/quartier"
    )
    url = urlparse(base)
    env = dict(os.environ)
    env["DATABASE_URL"] = urlunparse(url._replace(path=url.path + suffix))
    env["DJANGO_DEBUG"] = "0"
    env["DJANGO_SECRET_KEY"] = "benchmark-only"
    env["DJANGO_ALLOWED_HOSTS"] = "127.0.0.1,localhost"
    admin = urlunparse(url._replace(scheme="postgresql", path="/postgres"))
    with psycopg.connect(admin, autocommit=True) as conn:
        name = url.path.lstrip("/") + suffix
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')
    return env


def sql_url(env: dict) -> str:
    return urlunparse(urlparse(env["DATABASE_URL"])._replace(scheme="postgresql"))


def manage(env: dict, *args: str) -> None:
    subprocess.run([PYTHON, "manage.py", *args], cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL)


def prepare(env: dict, offers: int, needs: int) -> None:
    manage(env, "migrate", "--no-input")
    with psycopg.connect(sql_url(env)) as conn:
        have = conn.execute("SELECT count(*) FROM offers_offer").fetchone()[0]
        layers = conn.execute("SELECT count(*) FROM places_boundarylayer").fetchone()[0]
    if not layers:
        if BOROUGHS.exists():
            manage(env, "import_boundaries", str(BOROUGHS), "--layer", "mtl-boroughs")
        else:
            manage(env, "import_boundaries", str(ROOT / "fixtures" / "demo_zones.geojson"), "--layer", "demo-zones")
    if have != offers:
        with psycopg.connect(sql_url(env)) as conn:
            conn.execute("TRUNCATE offers_offer, offers_need, offers_offer_districts, offers_need_districts CASCADE")
        started = time.monotonic()
        manage(env, "seed_demo", "--offers", str(offers), "--needs", str(needs), "--seed", "1")
        print(f"seed_demo: {offers} offers and {needs} needs in {time.monotonic() - started:.1f} s")
        manage(env, "cluster_tables")  # the maintenance a production database gets (see the command)
    with psycopg.connect(sql_url(env), autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE")


def start_server(env: dict, port: int) -> subprocess.Popen:
    server = subprocess.Popen(
        [
            PYTHON,
            "-m",
            "uvicorn",
            "geoschema.asgi:application",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--workers",
            "2",
            "--lifespan",
            "off",
            "--no-access-log",
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=env,
    )
    for _ in range(100):
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz").status_code == 200:
                return server
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    server.terminate()
    raise SystemExit("the API did not start")


def run(env: dict, args) -> list[dict]:
    rng = random.Random(42)
    centres = [{"x": rng.uniform(CORE[0], CORE[2]), "y": rng.uniform(CORE[1], CORE[3])} for _ in range(50)]
    with psycopg.connect(sql_url(env)) as conn:
        districts = [row[0] for row in conn.execute("SELECT id FROM places_district ORDER BY id")]
        needs = [row[0] for row in conn.execute("SELECT id FROM offers_need ORDER BY id % 9973, id LIMIT 200")]

    def gid(pk: int, kind: str = "District") -> str:
        return b64encode(f"{kind}:{pk}".encode()).decode()

    questions = [
        (
            "radius 1 km, page of 100",
            RADIUS,
            lambda i: {"p": point(centres[i % 50])},
            RADIUS_SQL,
            lambda i: centres[i % 50],
        ),
        ("nearest 20", NEAREST, lambda i: {"p": point(centres[i % 50])}, NEAREST_SQL, lambda i: centres[i % 50]),
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
            lambda i: {"b": viewport(centres[i % 50])},
            VIEWPORT_SQL,
            lambda i: dict(zip("wsen", viewport(centres[i % 50]).values(), strict=True)),
        ),
        (
            "vector tile, zoom 14",
            TILE,
            lambda i: tile_xy(centres[i % 50]),
            TILE_SQL,
            lambda i: tile_xy(centres[i % 50]),
        ),
        ("clusters, whole city, zoom 11", CLUSTERS, lambda i: {"b": CITY}, CLUSTERS_SQL, lambda i: {}),
        (
            "matches for a need, best 10",
            MATCHES,
            lambda i: {"n": gid(needs[i % len(needs)], "Need")},
            MATCHES_SQL,
            lambda i: {"n": needs[i % len(needs)]},
        ),
    ]
    base = f"http://127.0.0.1:{args.port}"
    url = f"{base}/graphql"
    rows = []
    print(f"\n{args.offers:,} offers; {args.requests} requests per question, one client, keep-alive; times in ms")
    print(f"{'question':32} {'HTTP median':>11} {'HTTP p95':>9} {'SQL median':>10} {'ratio':>6} {'size':>7}")
    with httpx.Client() as client, psycopg.connect(sql_url(env)) as conn:
        for name, query, variables, sql, params in questions:
            for i in range(20):  # warm up both sides
                ask(client, base, query, variables(i))
                conn.execute(sql, params(i)).fetchall()
            http, raw, sizes = [], [], []
            for i in range(args.requests):
                started = time.perf_counter()
                size = ask(client, base, query, variables(i))
                http.append(time.perf_counter() - started)
                sizes.append(size)
                started = time.perf_counter()
                conn.execute(sql, params(i)).fetchall()
                raw.append(time.perf_counter() - started)
            row = {
                "question": name,
                "http_median_ms": statistics.median(http) * 1000,
                "http_p95_ms": quantile(http, 0.95) * 1000,
                "sql_median_ms": statistics.median(raw) * 1000,
                "rows": statistics.median(sizes),
            }
            row["ratio"] = row["http_median_ms"] / row["sql_median_ms"]
            rows.append(row)
            print(
                f"{name:32} {row['http_median_ms']:11.1f} {row['http_p95_ms']:9.1f} {row['sql_median_ms']:10.2f} "
                f"{row['ratio']:6.1f} {row['rows']:7.0f}"
            )
    if args.allocations:
        rows.append(time_allocation(url, [gid(d) for d in districts[: args.allocations]]))
    rate = throughput(url, RADIUS, [{"p": point(c)} for c in centres], clients=8, seconds=10)
    print(f"\nthroughput, radius question, 8 concurrent clients for 10 s: {rate:.0f} requests/s")
    rows.append({"question": "throughput radius, 8 clients", "requests_per_second": rate})
    return rows


def ask(client: httpx.Client, base: str, query: str, variables: dict) -> int:
    """One question over HTTP; returns the size of its answer (rows, features or bytes)."""
    if query.startswith("GET "):
        response = client.get(base + query[4:].format(**variables))
        assert response.status_code in (200, 204), response.text
        return len(response.content)
    body = client.post(f"{base}/graphql", json={"query": query, "variables": variables}).json()
    assert "errors" not in body, body
    answer = next(iter(body["data"].values()))
    if isinstance(answer, dict) and "features" in answer:
        return len(answer["features"])
    return len(answer["edges"]) if isinstance(answer, dict) else len(answer)


def viewport(centre: dict) -> dict:
    """A map viewport around a centre: about 2.3 km by 1.7 km (a laptop screen at zoom 15)."""
    return {"west": centre["x"] - 0.015, "south": centre["y"] - 0.0075, "east": centre["x"] + 0.015,
            "north": centre["y"] + 0.0075}  # fmt: skip


def tile_xy(centre: dict, z: int = 14) -> dict:
    n = 2**z
    x = int((centre["x"] + 180) / 360 * n)
    y = int((1 - math.asinh(math.tan(math.radians(centre["y"]))) / math.pi) / 2 * n)
    return {"x": x, "y": y}


def time_allocation(url: str, district_ids: list[str]) -> dict:
    timings = []
    with httpx.Client(timeout=600) as client:
        for district_id in district_ids:
            started = time.perf_counter()
            body = client.post(url, json={"query": ALLOCATION, "variables": {"d": district_id}}).json()
            timings.append(time.perf_counter() - started)
            assert "errors" not in body, body
    median = statistics.median(timings) * 1000
    print(f"\nsuggestAllocation for a borough: {median:.0f} ms (median of {len(timings)} borough(s))")
    return {"question": "suggestAllocation, one borough", "http_median_ms": median}


def point(centre: dict) -> dict:
    return {"longitude": centre["x"], "latitude": centre["y"]}


def quantile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def throughput(url: str, query: str, variables: list[dict], *, clients: int, seconds: float) -> float:
    done = [0] * clients
    deadline = time.monotonic() + seconds

    def worker(k: int) -> None:
        with httpx.Client() as client:
            i = k
            while time.monotonic() < deadline:
                client.post(url, json={"query": query, "variables": variables[i % len(variables)]}).raise_for_status()
                done[k] += 1
                i += clients

    threads = [threading.Thread(target=worker, args=(k,)) for k in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return sum(done) / seconds


if __name__ == "__main__":
    main()
