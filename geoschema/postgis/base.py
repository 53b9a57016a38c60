"""GeoDjango's PostGIS backend, with timestamps read by psycopg's C loader.

Django reads `timestamptz` with a loader that subclasses psycopg's pure-Python one (to stamp the
connection's time zone on each value): ~15 µs a timestamp, so a page of candidate offers with three
timestamps each cost milliseconds (`matches` reads ~600 of them). Django keeps every session in UTC
(USE_TZ, no per-database TIME_ZONE), and in a UTC session psycopg's own loader, in C when
psycopg[binary] is installed, gives the same aware datetimes (`tzinfo` datetime.UTC) about ten
times faster. Each cursor gets it (Django checks the connection's loader for its time zone, so the
connection's own stays Django's).
"""

import datetime

from django.contrib.gis.db.backends.postgis.base import DatabaseWrapper as PostGISDatabaseWrapper
from psycopg.types.datetime import TimestamptzLoader


class DatabaseWrapper(PostGISDatabaseWrapper):
    def create_cursor(self, name=None):
        cursor = super().create_cursor(name)
        if self.timezone is datetime.UTC and self.timezone_name == "UTC":
            # psycopg swaps in its C implementation of the loader when it has one.
            cursor.adapters.register_loader("timestamptz", TimestamptzLoader)
        return cursor
