"""The ASGI handler (geoschema.asgi): each request's synchronous work on one thread, threads kept
for later requests instead of started for each, concurrent requests on threads of their own."""

import asyncio
import threading
import time

from geoschema import asgi


def _scope(path: str) -> dict:
    return {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [(b"host", b"localhost")],
        "client": ("127.0.0.1", 40000),
        "server": ("127.0.0.1", 80),
    }


async def _get(handler, path: str) -> int:
    """One GET through the handler as uvicorn drives it; the response's status."""
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
        if message["type"] == "http.response.body" and not message.get("more_body"):
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
