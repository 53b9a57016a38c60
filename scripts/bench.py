#!/usr/bin/env python
"""The benchmark: `make bench` (`BENCH_ARGS="--sizes 10000,100000,1000000 --peer"` for the full run).

For each size, loads N offers (and N/10 needs) with seed_demo into a database of its own
(`<name>_bench` beside DATABASE_URL's), starts the API as in production (uvicorn, 2 workers,
pooled connections) and prints, for each question (scripts/bench_questions.py): the latency over
HTTP (median and p95), the raw SQL of the same question through psycopg and their ratio (the figure
that holds on a noisy machine), and the throughput of 8 concurrent clients. The raw SQL's parameters
are bound as is faster for that question: by the server, which soon keeps a plan for any values (the
nearest-first index walk for nearest 20), or written into the SQL as Django does (areaStats, whose
periods are then seen to be open). Then memory: the peak resident size of seed_demo and of each API
worker under the load, and what a worker gains while streaming an export of 50,000 features. With
`--peer`, PostGraphile (scripts/peer.py) answers the radius and nearest questions on the same
database, driven by the same loop. It ends with a table of every size side by side and the issue's
targets, each PASS or MISS.
"""

import argparse
import contextlib
import http.client
import json
import os
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path
from urllib.parse import urlparse, urlunparse

import httpx
import psycopg

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "geoschema.settings")

import django  # noqa: E402

django.setup()

import peer  # noqa: E402
from bench_questions import centres as bench_centres  # noqa: E402
from bench_questions import gid, questions  # noqa: E402

from offers.stats import stats_query  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
BOROUGHS = ROOT.parent / "shared" / "data" / "montreal" / "arrondissements_19_derived.geojson"
PYTHON = sys.executable
ALLOCATION = """query($d: ID!) { suggestAllocation(districtId: $d) { needsCovered unitsAllocated } }"""
CLIENTS = 8
WARM_UP = 20  # requests before a question is timed (also to choose how its raw SQL binds)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="100000", help="offers per run, comma-separated (needs: a tenth)")
    parser.add_argument("--requests", type=int, default=100, help="requests per question")
    parser.add_argument("--seconds", type=float, default=5, help="throughput run per question, 8 clients")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--peer", action="store_true", help="also ask PostGraphile the radius and nearest questions")
    parser.add_argument("--allocations", type=int, default=0, help="boroughs to time suggestAllocation on")
    parser.add_argument("--json", help="also write the figures to this file")
    parser.add_argument("--only", help="only the questions whose names contain one of these words (comma-separated)")
    args = parser.parse_args()
    sys.stdout.reconfigure(line_buffering=True)  # each figure as it comes, also into a file

    env = bench_environment()
    results = {}
    for offers in (int(size) for size in args.sizes.split(",")):
        results[offers] = run_size(env, args, offers)
    summary(results)
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2, default=str))


def run_size(env: dict, args, offers: int) -> dict:
    seed_mb = prepare(env, offers, offers // 10)
    server = start_server(env, args.port)
    try:
        export = export_memory(server, args.port)
        rows = ask_all(env, args, offers)
        workers_mb = peak_mb(workers(server))
        if args.allocations:
            rows.append(time_allocation(env, args))
    finally:
        server.terminate()
        server.wait(timeout=20)
    if args.peer:
        compare_with_peer(env, args, rows)
    print(f"\nmemory: API workers' peak resident size under the load {', '.join(f'{m:.0f}' for m in workers_mb)} MB")
    print(f"streaming an export of {export['features']:,} features ({export['mb']:.0f} MB) grew a worker by "
          f"{export['grew_mb']:.0f} MB")  # fmt: skip
    if seed_mb:
        print(f"seed_demo of {offers:,} offers: peak resident size {seed_mb:.0f} MB")
    return {"questions": rows, "workers_mb": workers_mb, "seed_mb": seed_mb, "export": export}


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


def manage(env: dict, *args: str) -> float:
    """Run a management command; returns its peak resident size in MB."""
    command = subprocess.Popen([PYTHON, "manage.py", *args], cwd=ROOT, env=env, stdout=subprocess.DEVNULL)
    peak = 0.0
    while command.poll() is None:
        peak = max(peak, *peak_mb([command.pid]))
        time.sleep(0.2)
    if command.returncode:
        raise SystemExit(f"manage.py {' '.join(args)} failed")
    return peak


def prepare(env: dict, offers: int, needs: int) -> float | None:
    """The dataset of `offers` offers, seeded unless already there; seed_demo's peak MB if it ran."""
    manage(env, "migrate", "--no-input")
    with psycopg.connect(sql_url(env)) as conn:
        have = conn.execute("SELECT count(*) FROM offers_offer").fetchone()[0]
        layers = conn.execute("SELECT count(*) FROM places_boundarylayer").fetchone()[0]
    if not layers:
        manage(env, "import_boundaries", str(BOROUGHS), "--layer", "mtl-boroughs")
    seed_mb = None
    if have != offers:
        with psycopg.connect(sql_url(env)) as conn:
            conn.execute("TRUNCATE offers_offer, offers_need, offers_offer_districts, offers_need_districts CASCADE")
        started = time.monotonic()
        seed_mb = manage(env, "seed_demo", "--offers", str(offers), "--needs", str(needs), "--seed", "1")
        print(f"seed_demo: {offers:,} offers and {needs:,} needs in {time.monotonic() - started:.1f} s")
        manage(env, "cluster_tables")  # the maintenance a production database gets (see the command)
    with psycopg.connect(sql_url(env), autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE")
        # The pages that seeding (or the truncation of a larger dataset) dirtied, written now rather
        # than by the checkpointer while the questions are timed (/healthz took 4 ms instead of 1.6
        # during one such run). A role that may not: the timings may be noisier.
        with contextlib.suppress(psycopg.errors.InsufficientPrivilege):
            conn.execute("CHECKPOINT")
    return seed_mb


def start_server(env: dict, port: int) -> subprocess.Popen:
    command = [PYTHON, "-m", "uvicorn", "geoschema.asgi:application", "--host", "127.0.0.1", "--port", str(port)]
    options = ["--workers", "2", "--lifespan", "off", "--no-access-log", "--log-level", "warning"]
    server = subprocess.Popen([*command, *options], cwd=ROOT, env=env)
    for _ in range(150):
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz").status_code == 200:
                return server
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    server.terminate()
    raise SystemExit("the API did not start")


def workers(server: subprocess.Popen) -> list[int]:
    """The API's worker processes: the children of uvicorn's supervisor (multiprocessing spawns one
    more helper, which serves nothing; it is the smallest)."""
    children = Path(f"/proc/{server.pid}/task/{server.pid}/children").read_text().split()
    return [int(pid) for pid in children]


def peak_mb(pids: list[int]) -> list[float]:
    """Each process's peak resident size (VmHWM), in MB."""
    peaks = []
    for pid in pids:
        try:
            status = Path(f"/proc/{pid}/status").read_text()
        except FileNotFoundError:
            continue
        line = next((line for line in status.splitlines() if line.startswith("VmHWM:")), "VmHWM: 0 kB")
        peaks.append(int(line.split()[1]) / 1024)
    return peaks or [0.0]


def export_memory(server: subprocess.Popen, port: int) -> dict:
    """Download a borough's offers as GeoJSON (the largest borough: ~50,000 at a million offers) and
    measure what the workers' peak resident size gained meanwhile."""
    base = f"http://127.0.0.1:{port}"
    query = '{ areaStats(layer: "mtl-boroughs") { district { id } offers } }'
    layer = httpx.post(f"{base}/graphql", json={"query": query}, timeout=120)
    stats = sorted(layer.json()["data"]["areaStats"], key=lambda s: s["offers"] or 0)
    smallest, largest = stats[0]["district"]["id"], stats[-1]["district"]["id"]
    for _ in range(6):  # warm both workers up (their first requests load code and caches)
        httpx.get(f"{base}/exports/offers.geojson?district={smallest}", timeout=120).raise_for_status()
    before = peak_mb(workers(server))
    size, features = 0, 0
    with httpx.stream("GET", f"{base}/exports/offers.geojson?district={largest}", timeout=600) as response:
        for chunk in response.iter_bytes():
            size += len(chunk)
            features += chunk.count(b'"Feature"')
    after = peak_mb(workers(server))
    return {"features": features, "mb": size / 1e6, "grew_mb": max(a - b for a, b in zip(after, before, strict=False))}


class Response:
    """An answer read in full: its status and body."""

    def __init__(self, status_code: int, content: bytes):
        self.status_code, self.content = status_code, content

    @property
    def text(self) -> str:
        return self.content.decode()

    def json(self):
        return json.loads(self.content)


class Client:
    """The benchmark's HTTP client: one keep-alive HTTP/1.1 connection (the standard library's
    http.client), so that the latency measured is the server's. A round trip to a do-nothing ASGI
    app under uvicorn costs it 0.5 ms on this machine, against 1.6 ms for httpx, whose own Python
    runs (1.1 ms a request) counted in every figure of earlier runs. Quartier and PostGraphile
    are asked through it alike."""

    def __init__(self, base: str, timeout: float = 120):
        url = urlparse(base)
        self.connection = http.client.HTTPConnection(url.hostname, url.port, timeout=timeout)

    def __enter__(self) -> "Client":
        return self

    def __exit__(self, *exc) -> None:
        self.connection.close()

    def request(self, method: str, path: str, body: bytes | None = None) -> Response:
        try:
            return self._once(method, path, body)
        except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError):
            # The server closed the idle connection (uvicorn keeps one alive for 5 s): ask again on
            # a new one (every question asked here is a read).
            self.connection.close()
            return self._once(method, path, body)

    def _once(self, method: str, path: str, body: bytes | None) -> Response:
        headers = {"Content-Type": "application/json"} if body is not None else {}
        self.connection.request(method, path, body=body, headers=headers)
        response = self.connection.getresponse()
        return Response(response.status, response.read())

    def get(self, path: str) -> Response:
        return self.request("GET", path)

    def post(self, path: str, payload: dict) -> Response:
        return self.request("POST", path, json.dumps(payload).encode())


class Answer:
    """An answer as it arrived: whether it failed is seen at once (a status, or the error list that
    geoschema.errors writes after the data); its size is read after the clock stopped, the client's
    JSON parsing not being the server's time."""

    ERROR = b'"errors":[{"message":'

    def __init__(self, response: Response, graphql: bool):
        self.response, self.graphql = response, graphql
        self.failed = response.status_code not in (200, 204) or (graphql and self.ERROR in response.content)

    def __call__(self) -> int:
        """The answer's size (rows, features or bytes), after checking it in full."""
        assert self.response.status_code in (200, 204), self.response.text
        return answer_size(self.response.json()) if self.graphql else len(self.response.content)


def ask(client: Client, query: str, variables: dict) -> Answer:
    """One question over HTTP, until its whole answer has arrived."""
    if query.startswith("GET "):
        return Answer(client.get(query[4:].format(**variables)), graphql=False)
    return Answer(client.post("/graphql", {"query": query, "variables": variables}), graphql=True)


def answer_size(body: dict) -> int:
    assert "errors" not in body, body
    answer = next(iter(body["data"].values()))
    if isinstance(answer, dict) and "features" in answer:
        return len(answer["features"])
    if isinstance(answer, dict):
        return len(answer.get("edges") or answer.get("nodes") or [])
    return len(answer)


def ask_all(env: dict, args, offers: int) -> list[dict]:
    centres = bench_centres()
    with psycopg.connect(sql_url(env)) as conn:
        districts = [row[0] for row in conn.execute("SELECT id FROM places_district ORDER BY id")]
        needs = [row[0] for row in conn.execute("SELECT id FROM offers_need ORDER BY id % 9973, id LIMIT 200")]
        layer = conn.execute(
            "SELECT id FROM places_boundarylayer WHERE slug = 'mtl-boroughs' AND is_current"
        ).fetchone()
    stats = stats_query(layer_id=layer[0])
    base = f"http://127.0.0.1:{args.port}"
    print(f"\n{offers:,} offers; {args.requests} requests per question, one client, keep-alive; times in ms;")
    print(f"throughput: {CLIENTS} clients for {args.seconds:g} s")
    rows = []
    with Client(base) as client, psycopg.connect(sql_url(env)) as conn:
        print_floor(client)
        print(
            f"{'question':32} {'HTTP median':>11} {'HTTP p95':>9} {'SQL median':>10} {'ratio':>6} {'size':>7} "
            f"{'req/s':>6} {'SQL bound by':>12}"
        )
        for name, query, variables, sql, params in questions(centres, districts, needs, stats):
            if args.only and not any(word in name for word in args.only.split(",")):
                continue
            row = {"question": name, **timed(client, conn, query, variables, sql, params, args.requests)}
            row["requests_per_second"], row["failed_under_load"] = throughput(
                base, query, variables, seconds=args.seconds
            )
            rows.append(row)
            print(
                f"{name:32} {row['http_median_ms']:11.1f} {row['http_p95_ms']:9.1f} {row['sql_median_ms']:10.2f} "
                f"{row['ratio']:6.1f} {row['size']:7.0f} {row['requests_per_second']:6.1f} {row['binding']:>12}"
                + (f"  ({row['failed_under_load']} failed under load)" if row["failed_under_load"] else "")
            )
    return rows


def print_floor(client: Client, requests: int = 300) -> None:
    """What any request costs here, whatever it asks: the medians of `GET /healthz` (Django, one
    `SELECT 1`) and of `{ __typename }` (GraphQL, no database) over the same connection."""
    figures = []
    for name, ask_once in (
        ("/healthz", lambda: client.get("/healthz")),
        ("{ __typename }", lambda: client.post("/graphql", {"query": "{ __typename }"})),
    ):
        times = []
        for i in range(requests + 20):
            started = time.perf_counter()
            response = ask_once()
            if i >= 20:
                times.append(time.perf_counter() - started)
            assert response.status_code == 200, response.text
        figures.append(f"{name} {statistics.median(times) * 1000:.1f} ms")
    print(f"any request (the fixed cost in every figure below): {', '.join(figures)}")


def timed(client: Client, conn, query: str, variables, sql: str, params, requests: int) -> dict:
    """Median and p95 over HTTP, median of the raw SQL, asked alternately after a warm-up. The raw
    SQL runs with whichever way of binding its parameters was faster at the end of the warm-up
    (`binding`): psycopg prepares a statement bound by the server once it has run five times, and
    PostgreSQL may keep a plan for any values five runs later, so the first runs do not tell."""
    cursors = {"server": conn.cursor(), "client": psycopg.ClientCursor(conn)}
    warm_up = {name: [] for name in cursors}
    for i in range(WARM_UP):
        ask(client, query, variables(i))()
        for name, cursor in cursors.items():
            started = time.perf_counter()
            cursor.execute(sql, params(i)).fetchall()
            warm_up[name].append(time.perf_counter() - started)
    binding = min(warm_up, key=lambda name: statistics.median(warm_up[name][WARM_UP // 2 :]))
    cursor = cursors[binding]
    http, raw, sizes = [], [], []
    for i in range(requests):
        started = time.perf_counter()
        answer = ask(client, query, variables(i))
        http.append(time.perf_counter() - started)
        sizes.append(answer())
        started = time.perf_counter()
        cursor.execute(sql, params(i)).fetchall()
        raw.append(time.perf_counter() - started)
    row = {
        "http_median_ms": statistics.median(http) * 1000,
        "http_p95_ms": quantile(http, 0.95) * 1000,
        "sql_median_ms": statistics.median(raw) * 1000,
        "binding": binding,
        "size": statistics.median(sizes),
    }
    row["ratio"] = row["http_median_ms"] / row["sql_median_ms"]
    return row


def throughput(base: str, query: str, variables, *, seconds: float) -> tuple[float, int]:
    """Answers per second to `CLIENTS` clients asking at once for `seconds`, and how many failed
    (under this load a long question can reach the API's statement bound: LIMIT_EXCEEDED)."""
    done, failed = [0] * CLIENTS, [0] * CLIENTS
    deadline = time.monotonic() + seconds

    def worker(k: int) -> None:
        with Client(base) as client:
            i = k
            while time.monotonic() < deadline:
                answer = ask(client, query, variables(i))
                if answer.failed:
                    failed[k] += 1
                else:
                    if not done[k]:
                        answer()  # read in full once per client: parsing every answer here would slow the clients
                    done[k] += 1
                i += CLIENTS

    threads = [threading.Thread(target=worker, args=(k,)) for k in range(CLIENTS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return sum(done) / seconds, sum(failed)


def compare_with_peer(env: dict, args, rows: list[dict]) -> None:
    """PostGraphile on the same database, asked the radius and nearest questions the same way."""
    centres = bench_centres()
    server = peer.start(sql_url(env), args.port + 1)
    try:
        base = f"http://127.0.0.1:{args.port + 1}"
        print(f"\npeer: PostGraphile {peer.version()} on the same database")
        with Client(base) as client:
            for name, query in (("radius 1 km, page of 100", peer.RADIUS), ("nearest 20", peer.NEAREST)):
                if not any(r["question"] == name for r in rows):
                    continue
                variables = lambda i: {"x": centres[i % 50]["x"], "y": centres[i % 50]["y"]}  # noqa: E731
                http = []
                for i in range(args.requests + 20):
                    started = time.perf_counter()
                    answer = ask(client, query, variables(i))
                    if i >= 20:
                        http.append(time.perf_counter() - started)
                    answer()
                mine = next(r for r in rows if r["question"] == name)
                theirs = statistics.median(http) * 1000
                mine["peer_median_ms"], mine["vs_peer"] = theirs, mine["http_median_ms"] / theirs
                print(f"{name:32} PostGraphile {theirs:7.1f} ms, Quartier {mine['http_median_ms']:7.1f} ms: "
                      f"Quartier/PostGraphile {mine['vs_peer']:.2f}")  # fmt: skip
    finally:
        peer.stop(server)


def time_allocation(env: dict, args) -> dict:
    with psycopg.connect(sql_url(env)) as conn:
        districts = [row[0] for row in conn.execute("SELECT id FROM places_district ORDER BY id")]
    timings = []
    with httpx.Client(timeout=600) as client:
        for district in districts[: args.allocations]:
            started = time.perf_counter()
            url = f"http://127.0.0.1:{args.port}/graphql"
            body = client.post(url, json={"query": ALLOCATION, "variables": {"d": gid(district)}}).json()
            timings.append(time.perf_counter() - started)
            assert "errors" not in body, body
    median = statistics.median(timings) * 1000
    print(f"\nsuggestAllocation for a borough: {median:.0f} ms (median of {len(timings)} borough(s))")
    return {"question": "suggestAllocation, one borough", "http_median_ms": median}


def quantile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


PAGED = ("radius 1 km, page of 100", "nearest 20", "within a borough, page of 100", "matches for a need, best 10")
WHOLE = ("viewport of 5,000 (mapLayer)", "vector tile, zoom 14")


def summary(results: dict) -> None:
    """Every size side by side, then the targets of the issue, each PASS or MISS."""
    sizes = list(results)
    names = [r["question"] for r in results[sizes[0]]["questions"] if "sql_median_ms" in r]
    print(f"\nHTTP median in ms (ratio to raw SQL), by size\n{'question':32}" + "".join(f"{s:>18,}" for s in sizes))
    for name in names:
        cells = []
        for size in sizes:
            row = next(r for r in results[size]["questions"] if r["question"] == name)
            cells.append(f"{row['http_median_ms']:10.1f} ({row['ratio']:4.1f})")
        print(f"{name:32}" + "".join(f"{c:>18}" for c in cells))
    print("\ntargets")
    for size in sizes:
        rows = {r["question"]: r for r in results[size]["questions"]}

        def verdict(ok: bool, text: str, size=size) -> None:
            print(f"  {'PASS' if ok else 'MISS'}  {size:>9,}  {text}")

        for name in (name for name in PAGED if name in rows):
            verdict(rows[name]["ratio"] <= 3, f"{name} within 3x raw SQL ({rows[name]['ratio']:.1f}x)")
        for name in (name for name in WHOLE if name in rows):
            verdict(rows[name]["ratio"] <= 1.5, f"{name} within 1.5x raw SQL ({rows[name]['ratio']:.1f}x)")
        for name in PAGED[:2]:
            if "vs_peer" in rows.get(name, {}):
                verdict(rows[name]["vs_peer"] < 1, f"{name} ahead of PostGraphile ({rows[name]['vs_peer']:.2f})")
        worst = max(results[size]["workers_mb"])
        verdict(worst < 300, f"API worker under 300 MB resident under load ({worst:.0f} MB)")
        if results[size]["seed_mb"] and size >= 1_000_000:
            verdict(results[size]["seed_mb"] < 500, f"seed_demo under 500 MB ({results[size]['seed_mb']:.0f} MB)")


if __name__ == "__main__":
    main()
