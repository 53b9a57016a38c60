#!/usr/bin/env bash
# A project-local PostgreSQL + PostGIS cluster: `localdb.sh start|stop|status`.
# Data lives in .local/pgdata (git-ignored), listens on 127.0.0.1:$QUARTIER_PG_PORT only,
# has PostGIS in template1 (so Django's test database gets it), postgis preloaded and jit off.
# initdb and pg_ctl refuse to run as root, so as root they run as the `postgres` system user.
set -euo pipefail

here=$(cd "$(dirname "$0")/.." && pwd)
port=${QUARTIER_PG_PORT:-54329}
pgdata="$here/.local/pgdata"
bindir=${PG_BINDIR:-/usr/lib/postgresql/15/bin}
log="$here/.local/postgres.log"

if [ "$(id -u)" = 0 ]; then
    owner=postgres
    as_owner() { runuser -u "$owner" -- "$@"; }
else
    owner=$(id -un)
    as_owner() { "$@"; }
fi

ensure_datadir() {
    mkdir -p "$here/.local"
    # Every parent of the data directory must be traversable by its owner; when the
    # checkout is not (a home folder with mode 700), keep the data in /var/tmp and link it.
    if [ ! -e "$pgdata" ] && ! as_owner test -x "$here/.local"; then
        local elsewhere
        elsewhere="/var/tmp/quartier-pg-$(echo "$here" | md5sum | cut -c1-12)"
        ln -sfn "$elsewhere" "$pgdata"
    fi
    if [ ! -s "$pgdata/PG_VERSION" ]; then
        local target
        target=$(readlink -f "$pgdata" 2>/dev/null || echo "$pgdata")
        rm -rf "$target" && mkdir -p "$target" && chmod 700 "$target"
        [ "$owner" = "$(id -un)" ] || chown "$owner" "$target"
        touch "$log" && { [ "$owner" = "$(id -un)" ] || chown "$owner" "$log"; }
        as_owner "$bindir/initdb" -D "$target" -U postgres -A trust -E UTF8 --locale=C.UTF-8 >/dev/null
        cat >>"$target/postgresql.conf" <<CONF
listen_addresses = '127.0.0.1'
port = $port
unix_socket_directories = '$target'
shared_preload_libraries = 'postgis-3'
jit = off
fsync = off
synchronous_commit = off
full_page_writes = off
max_connections = 100
shared_buffers = 256MB
work_mem = 16MB
CONF
        fresh=1
    fi
}

start() {
    ensure_datadir
    if as_owner "$bindir/pg_ctl" -D "$pgdata" status >/dev/null 2>&1; then
        echo "local PostGIS already running on 127.0.0.1:$port"
        return
    fi
    as_owner "$bindir/pg_ctl" -D "$pgdata" -l "$log" -w -t 60 start >/dev/null
    if [ "${fresh:-0}" = 1 ]; then
        psql_ -d template1 -c "CREATE EXTENSION IF NOT EXISTS postgis" >/dev/null
        psql_ -d postgres -c "CREATE ROLE quartier LOGIN SUPERUSER PASSWORD 'quartier'" >/dev/null
        psql_ -d postgres -c "CREATE DATABASE quartier OWNER quartier" >/dev/null
    fi
    echo "local PostGIS running on 127.0.0.1:$port (data in $pgdata)"
}

stop() {
    if [ -s "$pgdata/PG_VERSION" ] && as_owner "$bindir/pg_ctl" -D "$pgdata" status >/dev/null 2>&1; then
        as_owner "$bindir/pg_ctl" -D "$pgdata" -m fast -w stop >/dev/null
        echo "local PostGIS stopped"
    else
        echo "local PostGIS was not running"
    fi
}

psql_() { psql -h 127.0.0.1 -p "$port" -U postgres -v ON_ERROR_STOP=1 -q "$@"; }

case "${1:-}" in
    start) start ;;
    stop) stop ;;
    status) as_owner "$bindir/pg_ctl" -D "$pgdata" status ;;
    *) echo "usage: $0 start|stop|status" >&2; exit 2 ;;
esac
