"""Given the API running as in production, when schemathesis sends generated queries and mutations
for every field of the schema, anonymously and as a logged-in person, then no answer is a server
error and every GraphQL error carries one of the API's codes and no traceback.

The server runs on a scratch database (the demo data), so what the mutations write stays there.
`QUARTIER_SCHEMA_FUZZ_EXAMPLES` sets the examples per operation (small in `make test`; `make fuzz`
runs a longer campaign)."""

import json
import os
import time
import uuid
from pathlib import Path

import graphql
import httpx
import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis.specs.graphql import nodes

from geoschema.errors import Code
from tests.servers import ROOT, running_api, scratch_database

pytestmark = pytest.mark.django_db  # the session's test database is set up first: the server's sits beside it
EXAMPLES = int(os.environ.get("QUARTIER_SCHEMA_FUZZ_EXAMPLES", "8"))
# The codes of API.md: with the database up, UNAVAILABLE or INTERNAL would be a bug.
CODES = {c.value for c in Code} - {Code.UNAVAILABLE.value, Code.INTERNAL.value}
TRACEBACK_MARKS = ("Traceback", 'File "', "psycopg.", "django.db")

# Strategies for the schema's own scalars: plausible values and hostile ones side by side.
numbers = st.one_of(st.integers(-(10**6), 10**6), st.floats(allow_nan=True, allow_infinity=True))
points = st.tuples(numbers, numbers).map(lambda p: {"type": "Point", "coordinates": list(p)})
rings = st.lists(st.tuples(numbers, numbers).map(list), min_size=0, max_size=6)
polygons = rings.map(lambda r: {"type": "Polygon", "coordinates": [r + r[:1]]})
geojson = st.one_of(points, polygons, st.just({"type": "FeatureCollection", "features": []}), st.text(max_size=30))
schemathesis.graphql.scalar("Decimal", st.one_of(numbers.map(str), st.text(max_size=8)).map(nodes.String))
schemathesis.graphql.scalar(
    "GeoJSON", geojson.map(lambda v: v if isinstance(v, str) else json.dumps(v)).map(nodes.String)
)
schemathesis.graphql.scalar("JSON", st.text(max_size=20).map(nodes.String))
schemathesis.graphql.scalar("Upload", st.text(max_size=20).map(nodes.String))


@pytest.fixture
def api(django_db_setup):
    with scratch_database("fuzz") as database_url, running_api(database_url) as base:
        yield base


def problems_with(response: requests.Response) -> list[str]:
    """What is wrong with one answer: a server error, a body that is not JSON, an error without a
    code of the API, or a traceback leaking out."""
    if response.status_code >= 500:
        return [f"HTTP {response.status_code}"]
    try:
        body = response.json()
    except ValueError:
        return [f"HTTP {response.status_code}, not JSON: {response.text[:200]!r}"]
    found = []
    for error in body.get("errors") or []:
        code = (error.get("extensions") or {}).get("code")
        if code not in CODES:
            found.append(f"error without an API code: {error}")
    if any(mark in response.text for mark in TRACEBACK_MARKS):
        found.append(f"a traceback leaks: {response.text[:300]!r}")
    return found


def fuzz_operation(operation, base: str, session: requests.Session, headers: dict) -> tuple[int, int, list[str]]:
    """Send `EXAMPLES` generated calls of one operation; returns (requests answered with data, requests
    answered with errors only, problems)."""
    answered, refused, found = [0], [0], []

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        derandomize=True,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(case=operation.as_strategy())
    def run(case) -> None:
        response = case.call(base_url=f"{base}/graphql", session=session, headers=headers, timeout=30)
        problems = problems_with(response)
        if not problems:
            body = response.json()
            (answered if body.get("data") and not body.get("errors") else refused)[0] += 1
        for problem in problems:
            found.append(f"{operation.label}: {problem}\n  query: {case.body!r}"[:1500])

    run()
    return answered[0], refused[0], found


def fuzz(base: str, headers: dict) -> dict:
    """Run every operation of the schema; returns how many, and what came back."""
    schema = schemathesis.graphql.from_path(ROOT / "schema.graphql")
    session = requests.Session()
    totals = {"operations": 0, "answered": 0, "refused": 0, "problems": []}
    for result in schema.get_all_operations():
        answered, refused, problems = fuzz_operation(result.ok(), base, session, headers)
        totals["operations"] += 1
        totals["answered"] += answered
        totals["refused"] += refused
        totals["problems"] += problems
    return totals


def test_generated_queries_and_mutations_never_break_the_server(api):
    token = httpx.post(
        f"{api}/graphql",
        json={
            "query": 'mutation($e: String!) { register(email: $e, password: "a long passphrase 9") { token } }',
            "variables": {"e": f"fuzz-{uuid.uuid4().hex[:8]}@example.org"},
        },
    ).json()["data"]["register"]["token"]
    started = time.monotonic()
    runs = [fuzz(api, {}), fuzz(api, {"Authorization": f"Bearer {token}"})]
    answered, refused = sum(r["answered"] for r in runs), sum(r["refused"] for r in runs)
    found = [p for r in runs for p in r["problems"]]
    print(
        f"schema fuzz: {runs[0]['operations']} operations x {EXAMPLES} examples, twice: {answered} answered, "
        f"{refused} refused with a code, {len(found)} problems, in {time.monotonic() - started:.0f} s"
    )
    sdl = graphql.build_schema((ROOT / "schema.graphql").read_text())
    assert runs[0]["operations"] == len(sdl.query_type.fields) + len(sdl.mutation_type.fields), "every field"
    assert answered > runs[0]["operations"], "the calls reach the API: many are answered"
    assert not found, f"{len(found)} problems:\n" + "\n".join(found[:20])
    assert httpx.get(f"{api}/healthz").json()["status"] == "ok"


def test_the_fuzzer_sees_a_broken_answer():
    """The checks themselves can fail: an HTML 500 and a code-less error are caught."""

    def answer(status: int, text: str) -> requests.Response:
        response = requests.Response()
        response.status_code, response._content = status, text.encode()
        return response

    assert problems_with(answer(500, "<h1>Server Error</h1>")) == ["HTTP 500"]
    assert problems_with(answer(200, '{"errors": [{"message": "boom"}]}'))
    assert problems_with(answer(200, '{"data": {"x": 1}}')) == []
    assert Path(ROOT / "schema.graphql").exists()
