"""The benchmark's peer: PostGraphile (from the npm registry, scripts/peer/package-lock.json) on the
same database, answering the radius and nearest questions through a SQL function, driven by the
same loop as Quartier. Used by scripts/bench.py with `--peer`."""

import json
import subprocess
import time
from pathlib import Path

import httpx
import psycopg

HERE = Path(__file__).resolve().parent / "peer"

# The radius and nearest questions as PostGraphile serves them: a set-returning function on public
# places, nearest first (ties by id; with `n`, it walks the KNN index and stops early, as a careful
# PostGraphile user would write it), and
# each offer's place as GeoJSON (a computed column).
FUNCTIONS = """
DROP FUNCTION IF EXISTS peer_offers_near(float8, float8, float8);
DROP FUNCTION IF EXISTS peer_offers_near(float8, float8, float8, int);
CREATE FUNCTION peer_offers_near(lon float8, lat float8, radius float8, n int DEFAULT NULL)
RETURNS SETOF offers_offer AS $$
DECLARE
  p geography := ST_SetSRID(ST_MakePoint(lon, lat), 4326)::geography;
BEGIN
  IF n IS NULL THEN  -- everything within the radius, nearest first
    RETURN QUERY SELECT o.* FROM offers_offer o WHERE ST_DWithin(o.public_location, p, radius)
                  ORDER BY o.public_location <-> p, o.id;
  ELSE  -- the n nearest: walk the KNN index, then keep those within the radius
    RETURN QUERY SELECT near.* FROM (SELECT o.* FROM offers_offer o ORDER BY o.public_location <-> p LIMIT n) AS near
                  WHERE ST_DWithin(near.public_location, p, radius);
  END IF;
END
$$ LANGUAGE plpgsql STABLE;
CREATE OR REPLACE FUNCTION offers_offer_geojson(o offers_offer) RETURNS json AS $$
  SELECT ST_AsGeoJSON(o.public_location)::json
$$ LANGUAGE sql STABLE;
"""
RADIUS = """query($x: Float!, $y: Float!) { peerOffersNear(lon: $x, lat: $y, radius: 1000, first: 100) {
  totalCount nodes { id title kind geojson } } }"""
NEAREST = """query($x: Float!, $y: Float!) { peerOffersNear(lon: $x, lat: $y, radius: 5000, n: 20) {
  nodes { id title kind geojson } } }"""


def install() -> Path:
    """npm ci, once: the locked PostGraphile."""
    if not (HERE / "node_modules" / ".bin" / "postgraphile").exists():
        subprocess.run(["npm", "ci", "--no-audit", "--no-fund", "--loglevel=error"], cwd=HERE, check=True)
    return HERE / "node_modules" / ".bin" / "postgraphile"


def start(database_url: str, port: int) -> subprocess.Popen:
    """PostGraphile on `port` over the database's public schema, with the peer's functions."""
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute(FUNCTIONS)
    command = [str(install()), "-c", database_url, "--schema", "public", "--host", "127.0.0.1", "--port", str(port)]
    server = subprocess.Popen([*command, "--disable-query-log"], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    for _ in range(300):
        try:
            answer = httpx.post(f"http://127.0.0.1:{port}/graphql", json={"query": "{ __typename }"}, timeout=2)
            if answer.status_code == 200:
                return server
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    server.terminate()
    raise SystemExit(f"PostGraphile did not start: {server.stderr.read().decode()[-2000:]}")


def stop(server: subprocess.Popen) -> None:
    server.terminate()
    server.wait(timeout=20)


def version() -> str:
    package = HERE / "node_modules" / "postgraphile" / "package.json"
    return json.loads(package.read_text())["version"] if package.exists() else "?"
