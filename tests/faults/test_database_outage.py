"""Given the API running as in production (uvicorn) with its database behind a TCP relay that the
test cuts and restores, when the database becomes unreachable, then requests fail fast with a
clear error and /healthz says 503; once it is back, requests succeed without restarting the server.

A real fault, not a mock: the relay forwards bytes to the real PostGIS and is really closed.
"""

import contextlib
import socket
import threading
import time
import uuid

import httpx
import pytest
from django.conf import settings

from tests.servers import database_url_for, running_api

pytestmark = pytest.mark.django_db  # the test database is set up first, even when this file runs alone
QUERY = {"query": "{ offers(first: 1) { totalCount } }"}


class Relay:
    """A TCP relay from a local port to the database; `cut()` closes every connection and stops
    listening, `restore()` listens again on the same port."""

    def __init__(self, target: tuple[str, int]):
        self.target = target
        probe = socket.socket()
        probe.bind(("127.0.0.1", 0))
        self.port = probe.getsockname()[1]
        probe.close()
        self.sockets: list[socket.socket] = []
        self.server: socket.socket | None = None

    def restore(self) -> None:
        self.server = socket.create_server(("127.0.0.1", self.port), reuse_port=False)
        threading.Thread(target=self._accept, args=(self.server,), daemon=True).start()

    def cut(self) -> None:
        server, self.server = self.server, None
        with contextlib.suppress(OSError):
            server.shutdown(socket.SHUT_RDWR)  # wakes the thread blocked in accept()
        server.close()
        for s in self.sockets:
            with contextlib.suppress(OSError):
                s.shutdown(socket.SHUT_RDWR)
            s.close()
        self.sockets.clear()

    def _accept(self, server: socket.socket) -> None:
        while True:
            try:
                client, _ = server.accept()
            except OSError:
                return
            upstream = socket.create_connection(self.target)
            self.sockets += [client, upstream]
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pipe, args=(a, b), daemon=True).start()

    @staticmethod
    def _pipe(source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass


@pytest.fixture
def api_behind_relay(django_db_setup):
    db = settings.DATABASES["default"]
    relay = Relay((db["HOST"], int(db["PORT"])))
    relay.restore()
    try:
        with running_api(database_url_for(port=relay.port), QUARTIER_DB_POOL_TIMEOUT="2") as base:
            yield base, relay
    finally:
        if relay.server is not None:
            relay.cut()


def test_an_outage_fails_fast_and_recovery_needs_no_restart(api_behind_relay):
    base, relay = api_behind_relay
    with httpx.Client(base_url=base, timeout=30) as client:
        assert client.get("/healthz").json() == {"status": "ok", "database": "ok"}
        assert "errors" not in client.post("/graphql", json=QUERY).json()

        token = client.post(
            "/graphql",
            json={
                "query": 'mutation($e: String!) { register(email: $e, password: "a long passphrase 9") { token } }',
                "variables": {"e": f"outage-{uuid.uuid4().hex[:8]}@example.org"},
            },
        ).json()
        assert "errors" not in token, token
        token = token["data"]["register"]["token"]

        relay.cut()
        started = time.monotonic()
        health = client.get("/healthz")
        body = client.post("/graphql", json=QUERY).json()
        as_someone = client.post("/graphql", json=QUERY, headers={"Authorization": f"Bearer {token}"})
        export = client.get("/exports/offers.csv")
        elapsed = time.monotonic() - started
        print(f"outage answered in {elapsed:.1f} s")
        assert health.status_code == 503 and health.json()["database"] == "unavailable"
        assert [e["extensions"]["code"] for e in body["errors"]] == ["UNAVAILABLE"], body
        assert "consuming input" not in str(body), "no driver detail leaks to the client"
        assert as_someone.status_code == 200 and as_someone.json()["errors"][0]["extensions"]["code"] == "UNAVAILABLE"
        export_code = export.json()["errors"][0]["extensions"]["code"]
        assert export.status_code == 503 and export_code == "UNAVAILABLE", export.text[:300]
        assert elapsed < 10, f"took {elapsed:.1f} s to give up"

        relay.restore()
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and client.get("/healthz").status_code != 200:
            time.sleep(0.2)
        print(f"back {time.monotonic() - (deadline - 20):.1f} s after the restore")
        assert client.get("/healthz").status_code == 200
        assert "errors" not in client.post("/graphql", json=QUERY).json()
