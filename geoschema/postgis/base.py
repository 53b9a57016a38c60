"""GeoDjango's PostGIS backend, with timestamps read by psycopg's C loader, and cursors for
statements that the server keeps prepared.

Django reads `timestamptz` with a loader that subclasses psycopg's pure-Python one (to stamp the
connection's time zone on each value): ~15 µs a timestamp, so a page of candidate offers with three
timestamps each cost milliseconds (`matches` reads ~600 of them). Django keeps every session in UTC
(USE_TZ, no per-database TIME_ZONE), and in a UTC session psycopg's own loader, in C when
psycopg[binary] is installed, gives the same aware datetimes (`tzinfo` datetime.UTC) about ten
times faster. Each cursor gets it (Django checks the connection's loader for its time zone, so the
connection's own stays Django's).

Django binds parameters on the client: each statement reaches PostgreSQL as new text, parsed and
planned again. A page's statement, kept per query shape (geoschema.statements), differs between
requests only in its parameters; `prepared_cursor()` sends it with server-side parameters and has
the connection prepare it, so PostgreSQL plans it once per connection and then reuses its plan
(planning was 0.8 ms of the 1.8 ms that nearest 20 cost at 100,000 offers; prepared: 1.1 ms).
QUARTIER["PREPARED_STATEMENTS"] off (a pooler in transaction mode that predates PgBouncer 1.21's
prepared statement support): every statement goes as Django sends it.
"""

import datetime

from django.conf import settings
from django.contrib.gis.db.backends.postgis.base import DatabaseWrapper as PostGISDatabaseWrapper
from django.contrib.gis.db.backends.postgis.operations import PostGISOperations
from django.db.backends.postgresql.base import ServerBindingCursor
from psycopg import errors
from psycopg.types.datetime import TimestamptzLoader


class PreparedCursor(ServerBindingCursor):
    """Binds parameters on the server and prepares every statement it runs at once (psycopg
    otherwise waits for a statement's fifth run on the connection)."""

    def execute(self, query, params=None, *, prepare=None, binary=None):
        return super().execute(query, params, prepare=True, binary=binary)


class DatabaseOperations(PostGISOperations):
    def last_executed_query(self, cursor, sql, params):
        """A prepared cursor's statement as Django shows a server-binding one: its parameters
        written in (what Django's debug log and tests' captured queries read)."""
        if isinstance(cursor, PreparedCursor):
            try:
                return self.compose_sql(sql, params)
            except errors.DataError:
                return None
        return super().last_executed_query(cursor, sql, params)


class DatabaseWrapper(PostGISDatabaseWrapper):
    ops_class = DatabaseOperations

    def create_cursor(self, name=None):
        return self._utc_timestamps(super().create_cursor(name))

    def prepared_cursor(self):
        """A cursor for statements of a fixed text that run again and again with other parameters
        (a client-binding one when QUARTIER["PREPARED_STATEMENTS"] is off). Like `cursor()`: the
        connection opened if needed, errors as Django's, queries counted and logged."""
        if not settings.QUARTIER["PREPARED_STATEMENTS"]:
            return self.cursor()
        self.close_if_health_check_failed()
        self.ensure_connection()
        with self.wrap_database_errors:
            return self._prepare_cursor(self._utc_timestamps(PreparedCursor(self.connection)))

    def _utc_timestamps(self, cursor):
        if self.timezone is datetime.UTC and self.timezone_name == "UTC":
            # psycopg swaps in its C implementation of the loader when it has one.
            cursor.adapters.register_loader("timestamptz", TimestamptzLoader)
        return cursor
