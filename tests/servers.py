"""The API as it runs in production (uvicorn, ASGI), for the tests that talk to it over HTTP, and
scratch databases for the ones whose writes must not reach the shared test database."""

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlparse, urlunparse

import httpx
import psycopg
from django.conf import settings

ROOT = Path(__file__).resolve().parents[1]


def database_url_for(name: str | None = None, port: int | None = None) -> str:
    """A DATABASE_URL for the test database's server (another database `name`, another `port`)."""
    db = settings.DATABASES["default"]
    url = urlparse(os.environ.get("DATABASE_URL") or "postgis://x@h/db")
    netloc = f"{db['USER']}:{db['PASSWORD']}@{db['HOST'] or '127.0.0.1'}:{port or db['PORT']}"
    return urlunparse(url._replace(scheme="postgis", netloc=netloc, path=f"/{name or db['NAME']}"))


@contextmanager
def scratch_database(suffix: str) -> Iterator[str]:
    """A fresh database beside the test database, migrated and loaded with the demo data; dropped after."""
    name = f"{settings.DATABASES['default']['NAME']}_{suffix}"
    admin = urlunparse(urlparse(database_url_for("postgres"))._replace(scheme="postgresql"))
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    url = database_url_for(name)
    env = {**os.environ, "DATABASE_URL": url}
    for command in (["migrate", "--no-input"], ["load_demo"]):
        subprocess.run([sys.executable, "manage.py", *command], cwd=ROOT, env=env, check=True, capture_output=True)
    try:
        yield url
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def running_api(database_url: str, **env: str) -> Iterator[str]:
    """uvicorn serving the API on a free port against `database_url`; yields its base URL."""
    port = free_port()
    environment = {**os.environ, "DATABASE_URL": database_url, "DJANGO_DEBUG": "0", **env}
    environment.setdefault("DJANGO_SECRET_KEY", "tests-only")
    environment.setdefault("DJANGO_ALLOWED_HOSTS", "127.0.0.1,localhost")
    command = [sys.executable, "-m", "uvicorn", "geoschema.asgi:application", "--port", str(port)]
    server = subprocess.Popen([*command, "--lifespan", "off", "--log-level", "warning"], cwd=ROOT, env=environment)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(150):
            try:
                httpx.get(f"{base}/healthz", timeout=2)
                break
            except httpx.HTTPError:
                time.sleep(0.1)
        else:
            raise RuntimeError("the API did not start")
        yield base
    finally:
        server.terminate()
        server.wait(timeout=10)
