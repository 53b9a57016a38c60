"""The ASGI handler (geoschema.asgi): each request's synchronous work on one thread, threads kept
for later requests instead of started for each, concurrent requests on threads of their own."""

import asyncio
import json
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from django.core import signals
from django.db.models import Count
from strawberry.relay import GlobalID, to_base64

from geoschema import asgi, exports
from offers.models import Offer
from places.models import District

ROOT = Path(__file__).resolve().parents[2]


def _scope(path: str) -> dict:
    path, _, query = path.partition("?")
    return {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": query.encode(),
        "root_path": "",
        "headers": [(b"host", b"localhost")],
        "client": ("127.0.0.1", 40000),
        "server": ("127.0.0.1", 80),
    }


async def _get(handler, path: str, body: list[bytes] | None = None) -> int:
    """One GET through the handler as uvicorn drives it; the response's status (its body's chunks
    appended to `body`)."""
    statuses, done = [], asyncio.Event()

    async def receive():
        if not statuses and not done.is_set():
            statuses.append(None)
            return {"type": "http.request", "body": b"", "more_body": False}
        await done.wait()
        return {"type": "http.disconnect"}

    async def send(message):
        if message["type"] == "http.response.start":
            statuses.append(message["status"])
        if message["type"] == "http.response.body":
            if body is not None:
                body.append(message.get("body", b""))
            if not message.get("more_body"):
                done.set()

    await handler(_scope(path), receive, send)
    return statuses[-1]


class Recording(asgi.QuartierASGIHandler):
    """The handler, noting which thread ran each request's view and middleware."""

    def __init__(self, hold: threading.Event | None = None):
        super().__init__()
        self.threads: dict[str, int] = {}
        self.hold = hold

    def get_response(self, request):
        self.threads[request.path] = threading.get_ident()
        if request.path == "/first" and self.hold is not None:
            assert self.hold.wait(10), "the second request never ran while the first one was running"
        return super().get_response(request)


def test_a_request_thread_serves_the_next_request():
    # given a handler, when three requests come one after the other
    handler = Recording()

    async def one_by_one():
        return [await _get(handler, f"/nowhere-{i}") for i in range(3)]

    statuses = asyncio.run(one_by_one())
    # then each is answered, all three on one thread that is not the event loop's, now idle
    assert statuses == [404, 404, 404]
    assert len(set(handler.threads.values())) == 1
    assert threading.get_ident() not in handler.threads.values()
    assert len(handler.idle) == 1


def test_concurrent_requests_run_on_threads_of_their_own():
    # given a first request whose view waits until a second request has been answered
    second_done = threading.Event()
    handler = Recording(hold=second_done)

    async def both():
        first = asyncio.create_task(_get(handler, "/first"))
        await asyncio.sleep(0.05)
        status = await _get(handler, "/second")
        second_done.set()
        return await first, status

    # when both are sent at once, then both are answered (one thread would wait forever)
    assert asyncio.run(both()) == (404, 404)
    assert handler.threads["/first"] != handler.threads["/second"]
    assert len(handler.idle) == 2  # both threads kept for later requests


def test_idle_threads_beyond_the_cap_end(monkeypatch):
    # given a handler that keeps one idle thread at most
    monkeypatch.setattr(asgi, "IDLE_THREADS_KEPT", 1)
    second_done = threading.Event()
    handler = Recording(hold=second_done)

    async def both():
        first = asyncio.create_task(_get(handler, "/first"))
        await asyncio.sleep(0.05)
        await _get(handler, "/second")
        second_done.set()
        await first

    def request_threads() -> set[threading.Thread]:
        return {t for t in threading.enumerate() if t.name.startswith("request")}

    before = request_threads()
    # when two requests needed two threads, then one of them is kept, the other ends
    asyncio.run(both())
    assert len(handler.idle) == 1
    for _ in range(100):
        if len(request_threads() - before) == 1:
            break
        time.sleep(0.02)
    assert len(request_threads() - before) == 1


def test_request_signals_run_on_the_request_thread_once_each():
    # given a handler and the request signals observed (request_finished hands the thread's
    # database connection back to the pool: it must run on the thread that used it)
    handler = Recording()
    seen = []

    def started(**kwargs):
        seen.append(("started", threading.get_ident()))

    def finished(**kwargs):
        seen.append(("finished", threading.get_ident()))

    signals.request_started.connect(started)
    signals.request_finished.connect(finished)
    try:
        # when a request is answered
        status = asyncio.run(_get(handler, "/nowhere"))
    finally:
        signals.request_started.disconnect(started)
        signals.request_finished.disconnect(finished)
    # then each signal ran once, on the thread that ran the view
    thread = handler.threads["/nowhere"]
    assert status == 404
    assert seen == [("started", thread), ("finished", thread)]


@pytest.mark.django_db
def test_a_streamed_export_is_closed_after_its_last_chunk(monkeypatch):
    # given a borough's offers, exported in chunks of 50 (the seeded data is committed: the
    # request's own thread and connection see it)
    monkeypatch.setattr(exports, "CHUNK", 50)
    in_boroughs = Offer.objects.filter(districts__layer__slug="mtl-boroughs").values("districts")
    district = District.objects.get(pk=in_boroughs.annotate(n=Count("id")).order_by("-n")[0]["districts"])
    expected = set(Offer.objects.filter(districts=district).values_list("pk", flat=True))
    handler, chunks, finished = Recording(), [], []

    def on_finished(**kwargs):
        finished.append(len(chunks))

    signals.request_finished.connect(on_finished)
    try:
        # when the export is streamed through the handler
        status = asyncio.run(
            _get(handler, f"/exports/offers.geojson?district={to_base64('District', district.pk)}", chunks)
        )
    finally:
        signals.request_finished.disconnect(on_finished)
    # then every offer of the borough arrives, in several chunks, and the request ends after the last
    features = json.loads(b"".join(chunks))["features"]
    assert status == 200 and len(expected) > 50 and len(chunks) > 2
    assert {int(GlobalID.from_id(f["id"]).node_id) for f in features} == expected
    assert finished == [len(chunks)]


def test_a_client_that_leaves_gets_no_answer_and_the_request_ends():
    # given a view that takes a while, and a client that disconnects as soon as it has sent
    class Slow(Recording):
        def get_response(self, request):
            time.sleep(0.3)
            return super().get_response(request)

    handler, sent, finished = Slow(), [], []

    async def receive():
        if not sent:
            sent.append("request")
            return {"type": "http.request", "body": b"", "more_body": False}
        return {"type": "http.disconnect"}

    async def send(message):
        sent.append(message["type"])

    def on_finished(**kwargs):
        finished.append(threading.get_ident())

    signals.request_finished.connect(on_finished)
    try:
        # when the request is handled
        asyncio.run(handler(_scope("/slow"), receive, send))
    finally:
        signals.request_finished.disconnect(on_finished)
    # then nothing was sent to it, and the request ended on its own thread (its connection released)
    assert sent == ["request"]
    assert finished and set(finished) == {handler.threads["/slow"]}


def test_what_the_server_loads_at_start_is_out_of_the_collectors_reach():
    """Importing geoschema.asgi, as uvicorn does in each worker, loads the URLs and the GraphQL
    schema and freezes all of it: the cyclic collector's full passes then walk only what requests
    leave behind, not the ~150,000 objects of Django, GDAL and the schema."""
    code = (
        "import gc, sys, geoschema.asgi\n"
        "print(gc.get_freeze_count(), 'geoschema.schema' in sys.modules, len(gc.get_objects()))"
    )
    ran = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT)
    frozen, schema_loaded, tracked = ran.stdout.split()
    assert int(frozen) > 50_000 and schema_loaded == "True"
    assert int(tracked) < 1_000, "nothing but what came after the freeze is left to collect"


def test_a_query_string_that_is_not_utf8_is_bad_input_as_json():
    # given a GET whose raw query string holds a byte that is no UTF-8 (not %-encoded)
    handler, chunks, started, received = asgi.QuartierASGIHandler(), [], [], []

    async def run():
        done = asyncio.Event()

        async def receive():
            if received:
                await done.wait()
                return {"type": "http.disconnect"}
            received.append(True)
            return {"type": "http.request", "body": b"", "more_body": False}

        async def send(message):
            if message["type"] == "http.response.start":
                started.append(message)
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))
                if not message.get("more_body"):
                    done.set()

        scope = {**_scope("/tiles/offers/14/4855/5861.pbf"), "query_string": b"kinds=MEAL\xff"}
        await handler(scope, receive, send)

    asyncio.run(run())
    # then it is a 400 that says why, in JSON with its code (Django's was an empty HTML page)
    [start] = started
    assert start["status"] == 400
    assert (b"Content-Type", b"application/json") in start["headers"]
    [error] = json.loads(b"".join(chunks))["errors"]
    assert error == {
        "message": "the request's query string is not valid UTF-8",
        "extensions": {"code": "BAD_INPUT"},
    }
