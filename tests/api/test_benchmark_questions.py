"""The benchmark (scripts/bench.py) divides each API time by the time of "the raw SQL of the same
question". These tests check, on the test data, that each raw SQL statement of
scripts/bench_questions.py answers what the API answers, so that the ratios compare like with like.
(areaStats is timed on the very statement the API runs: offers.stats.stats_query.)"""

import base64
import json
import sys
from pathlib import Path

import mapbox_vector_tile
import pytest
from django.db import connection
from django.test import Client

from places.models import District

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "scripts"))
import bench_questions  # noqa: E402

ASKINGS = range(6)  # the first centres the benchmark asks about


@pytest.fixture(scope="module")
def questions(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        boroughs = District.objects.filter(layer__slug="mtl-boroughs").order_by("id")
        districts = list(boroughs.values_list("id", flat=True))
        with connection.cursor() as cursor:
            cursor.execute("SELECT id FROM offers_need ORDER BY id % 9973, id LIMIT 200")
            needs = [row[0] for row in cursor.fetchall()]
    found = bench_questions.questions(bench_questions.centres(), districts, needs, ("", {}))
    return {name.split(",")[0]: (query, variables, sql, params) for name, query, variables, sql, params in found}


def api(query: str, variables: dict):
    client = Client(HTTP_HOST="localhost")
    if query.startswith("GET "):
        return client.get(query[4:].format(**variables))
    body = client.post("/graphql", {"query": query, "variables": variables}, content_type="application/json").json()
    assert "errors" not in body, body
    return next(iter(body["data"].values()))


def raw(sql: str, params: dict) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def pk(global_id: str) -> int:
    return int(base64.b64decode(global_id).decode().split(":")[1])


@pytest.mark.django_db
@pytest.mark.parametrize("question", ["radius 1 km", "within a borough"])
@pytest.mark.parametrize("i", ASKINGS)
def test_a_page_with_its_count_is_the_same_rows_and_count(questions, question, i):
    query, variables, sql, params = questions[question]
    answer, rows = api(query, variables(i)), raw(sql, params(i))
    assert [pk(e["node"]["id"]) for e in answer["edges"]] == [row[0] for row in rows]
    assert answer["totalCount"] == (rows[0][-1] if rows else 0)
    assert answer["edges"], "a place with offers in it"


@pytest.mark.django_db
@pytest.mark.parametrize("i", ASKINGS)
def test_nearest_20_are_the_same_offers(questions, i):
    """The raw SQL orders by the index's sphere distance, the API by the exact spheroid distance:
    the same 20 offers, each at the same distance."""
    query, variables, sql, params = questions["nearest 20"]
    answer, rows = api(query, variables(i)), raw(sql, params(i))
    assert len(answer["edges"]) == len(rows) == 20
    assert {pk(e["node"]["id"]): e["node"]["distanceMeters"] for e in answer["edges"]} == pytest.approx(
        {row[0]: row[3] for row in rows}
    )


@pytest.mark.django_db
@pytest.mark.parametrize("i", ASKINGS)
def test_viewport_is_the_same_feature_collection(questions, i):
    query, variables, sql, params = questions["viewport of 5"]
    answer, ((count, features),) = api(query, variables(i)), raw(sql, params(i))
    assert answer["features"] == json.loads(features) and len(answer["features"]) == count > 0


@pytest.mark.django_db
@pytest.mark.parametrize("i", ASKINGS)
def test_vector_tile_holds_the_same_features(questions, i):
    query, variables, sql, params = questions["vector tile"]
    response, ((tile,),) = api(query, variables(i)), raw(sql, params(i))

    def features(data: bytes) -> list:
        layer = mapbox_vector_tile.decode(bytes(data))["offers"]
        return sorted((f["properties"]["id"], f["geometry"]["coordinates"]) for f in layer["features"])

    assert response.status_code == 200
    assert features(response.content) == features(tile) != []


@pytest.mark.django_db
def test_clusters_are_the_same(questions):
    query, variables, sql, params = questions["clusters"]
    answer, ((features,),) = api(query, variables(0)), raw(sql, params(0))

    def key(feature: dict) -> tuple:
        return feature["properties"]["count"], *(round(c, 6) for c in feature["geometry"]["coordinates"])

    assert sorted(map(key, answer["features"])) == sorted(map(key, json.loads(features))) != []


@pytest.mark.django_db
@pytest.mark.parametrize("i", ASKINGS)
def test_matches_come_from_the_raw_candidates(questions, i):
    """The raw SQL is the candidate search, in reach and compatible; the API scores those candidates
    and keeps the best 10."""
    query, variables, sql, params = questions["matches for a need"]
    answer, rows = api(query, variables(i)), raw(sql, params(i))
    candidates = {row[0] for row in rows}
    assert {pk(m["offer"]["id"]) for m in answer} <= candidates
    assert len(answer) == min(10, len(candidates))


@pytest.mark.django_db
def test_the_benchmark_tells_failed_answers_from_answers():
    """Under load the benchmark counts answers per second: an answer with errors (as the API writes
    them) or a failing status counts as failed, not as an answer."""
    from bench import Answer, Response

    client = Client(HTTP_HOST="localhost")
    answered = client.post("/graphql", {"query": "{ offers(first: 5) { edges { node { id } } } }"},
                           content_type="application/json")  # fmt: skip
    refused = client.post("/graphql", {"query": "{ offers(first: 100000) { edges { node { id } } } }"},
                          content_type="application/json")  # fmt: skip
    assert b"LIMIT_EXCEEDED" in refused.content
    assert not Answer(Response(200, content=answered.content), graphql=True).failed
    assert Answer(Response(200, content=refused.content), graphql=True).failed
    assert Answer(Response(503, content=b"{}"), graphql=False).failed
    assert not Answer(Response(204, content=b""), graphql=False).failed
    assert Answer(Response(200, content=answered.content), graphql=True)() == 5


def test_the_benchmark_client_asks_again_when_the_server_closed_the_idle_connection():
    """uvicorn closes a keep-alive connection idle for 5 s (between questions, while the raw SQL is
    timed): the benchmark's client then asks on a new connection instead of failing."""
    import socket
    import threading

    from bench import Client

    served = []
    listener = socket.create_server(("127.0.0.1", 0))

    def serve() -> None:
        for _ in range(2):  # each connection answers one request as if kept alive, then closes
            connection, _ = listener.accept()
            with connection:
                served.append(connection.recv(65536).split(b" ", 2)[1])
                body = b'{"n": %d}' % len(served)
                connection.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n%s" % (len(body), body))

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    with Client(f"http://127.0.0.1:{listener.getsockname()[1]}", timeout=5) as client:
        first = client.get("/healthz")
        second = client.post("/graphql", {"query": "{ __typename }"})
    thread.join(timeout=5)
    listener.close()
    assert (first.status_code, first.json()) == (200, {"n": 1})
    assert (second.status_code, second.json()) == (200, {"n": 2})
    assert served == [b"/healthz", b"/graphql"]
