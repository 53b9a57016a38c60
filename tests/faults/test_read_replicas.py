"""Given a real primary and a real streaming replica started here (PostgreSQL's own initdb,
pg_basebackup and streaming replication), and the API pointed at both, then anonymous reads are
served by the replica, writes and whole mutations by the primary, and a client that has just
written reads its write even while the replica has stopped replaying.

Proof by pausing the replica's replay (pg_wal_replay_pause): a row written then exists on the
primary only, so who sees it tells which server answered."""

import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import httpx
import psycopg
import pytest

from tests.servers import ROOT, free_port, running_api

pytestmark = pytest.mark.django_db
PG_BIN = Path(os.environ.get("PG_BINDIR", "/usr/lib/postgresql/15/bin"))
AS_POSTGRES = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []


def run(*command: str) -> None:
    subprocess.run([*AS_POSTGRES, *command], check=True, capture_output=True, timeout=120)


def sql(port: int, query: str, database: str = "postgres"):
    with psycopg.connect(f"postgresql://postgres@127.0.0.1:{port}/{database}", autocommit=True) as conn:
        cursor = conn.execute(query)
        return cursor.fetchone() if cursor.description else None


def caught_up(primary: int, replica: int) -> None:
    """Wait until the replica has replayed everything the primary wrote so far."""
    (target,) = sql(primary, "SELECT pg_current_wal_lsn()::text")
    for _ in range(300):
        (done,) = sql(replica, f"SELECT pg_last_wal_replay_lsn() >= '{target}'::pg_lsn")
        if done:
            return
        time.sleep(0.05)
    raise AssertionError("the replica did not catch up")


@pytest.fixture(scope="module")
def primary_and_replica():
    assert (PG_BIN / "initdb").exists(), (
        f"PostgreSQL's server programs are missing in {PG_BIN}: `make test` installs them"
    )
    home = Path(tempfile.mkdtemp(prefix="quartier-replication-"))
    home.chmod(0o777)
    primary, replica = home / "primary", home / "replica"
    ports = free_port(), free_port()
    try:
        run(
            str(PG_BIN / "initdb"),
            "-D",
            str(primary),
            "-U",
            "postgres",
            "-A",
            "trust",
            "-E",
            "UTF8",
            "--locale=C.UTF-8",
        )
        settings = f"""
listen_addresses = '127.0.0.1'
port = {ports[0]}
unix_socket_directories = '{home}'
wal_level = replica
max_wal_senders = 4
hot_standby = on
fsync = off
jit = off
"""
        run("sh", "-c", f"cat >> {primary}/postgresql.conf <<'EOF'{settings}EOF")
        run(str(PG_BIN / "pg_ctl"), "-D", str(primary), "-l", str(home / "primary.log"), "-w", "start")
        sql(ports[0], "CREATE DATABASE quartier")
        sql(ports[0], "CREATE EXTENSION postgis", "quartier")
        source = ["-h", "127.0.0.1", "-p", str(ports[0]), "-U", "postgres"]
        run(str(PG_BIN / "pg_basebackup"), *source, "-D", str(replica), "-R", "-X", "stream", "--checkpoint=fast")
        run("sh", "-c", f"echo 'port = {ports[1]}' >> {replica}/postgresql.conf")
        run(str(PG_BIN / "pg_ctl"), "-D", str(replica), "-l", str(home / "replica.log"), "-w", "start")
        urls = [f"postgis://postgres@127.0.0.1:{port}/quartier" for port in ports]
        env = {**os.environ, "DATABASE_URL": urls[0]}
        env.pop("DATABASE_REPLICA_URLS", None)
        subprocess.run([str(ROOT / ".venv/bin/python"), "manage.py", "migrate", "--no-input"], cwd=ROOT, env=env,
                       check=True, capture_output=True, timeout=300)  # fmt: skip
        caught_up(*ports)
        assert sql(ports[1], "SELECT pg_is_in_recovery()")[0], "the second server is a streaming replica"
        yield ports, urls
    finally:
        for data in (replica, primary):
            if (data / "postmaster.pid").exists():
                subprocess.run([*AS_POSTGRES, str(PG_BIN / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop"],
                               capture_output=True, timeout=60)  # fmt: skip
        shutil.rmtree(home, ignore_errors=True)


def graphql(base: str, query: str, variables: dict | None = None, token: str | None = None) -> dict:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    body = httpx.post(f"{base}/graphql", json={"query": query, "variables": variables or {}}, headers=headers).json()
    assert "errors" not in body, body
    return body["data"]


NEAR = """{ offers(spatial: {near: {point: {longitude: -73.58, latitude: 45.52}, radiusMeters: 500}}) {
  edges { node { title } } } }"""
CREATE = """mutation($t: String!) { createOffer(input: {title: $t, kind: LOAN, quantity: 1,
  location: {longitude: -73.58, latitude: 45.52}, locationPrecision: EXACT}) { id } }"""


def titles(base: str, token: str | None = None) -> set[str]:
    return {e["node"]["title"] for e in graphql(base, NEAR, token=token)["offers"]["edges"]}


def test_reads_go_to_the_replica_and_a_writer_reads_its_writes(primary_and_replica):
    (primary, replica), (primary_url, replica_url) = primary_and_replica
    with running_api(primary_url, DATABASE_REPLICA_URLS=replica_url, QUARTIER_READ_YOUR_WRITES_SECONDS="3") as base:
        token = graphql(
            base, 'mutation { register(email: "writer@example.org", password: "a long passphrase 9") { token } }'
        )
        token = token["register"]["token"]
        caught_up(primary, replica)
        sql(replica, "SELECT pg_wal_replay_pause()")
        try:
            offer = graphql(base, CREATE, {"t": "Ladder"}, token)["createOffer"]["id"]
            assert "Ladder" not in titles(base), "an anonymous read is served by the paused replica"
            assert "Ladder" in titles(base, token), "the writer reads its own write, from the primary"
            # a mutation that locks and rereads rows runs on the primary, replica paused or not
            closed = graphql(base, "mutation($o: ID!) { closeOffer(id: $o) { status } }", {"o": offer}, token)
            assert closed["closeOffer"]["status"] == "CLOSED"
            time.sleep(3.5)  # past the read-your-writes window, the writer reads from the replica again
            assert "Ladder" not in titles(base, token)
        finally:
            sql(replica, "SELECT pg_wal_replay_resume()")
        caught_up(primary, replica)
        assert "Ladder" in titles(base), "once replayed, everyone sees it"
        assert sql(primary, "SELECT count(*) FROM offers_offer", "quartier")[0] == 1
        assert sql(replica, "SELECT status FROM offers_offer", "quartier")[0] == "CLOSED"
