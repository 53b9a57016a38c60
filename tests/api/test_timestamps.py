"""Timestamps are read by psycopg's own (C) loader (geoschema/postgis), and give exactly what
Django's loader gives: the same instants, aware, in datetime.UTC."""

import datetime

import psycopg
import pytest
from django.db import connection
from django.db.backends.postgresql.psycopg_any import register_tzloader
from psycopg.pq import Format

from offers.models import Offer

pytestmark = pytest.mark.django_db
TIMESTAMPTZ = psycopg.adapters.types["timestamptz"].oid
SQL = """SELECT unnest(%s::timestamptz[])
          UNION ALL (SELECT created_at FROM offers_offer ORDER BY id LIMIT 400)"""
WRITTEN = [
    datetime.datetime(2026, 12, 3, 10, 15, 0, tzinfo=datetime.UTC),
    datetime.datetime(2026, 3, 8, 7, 30, 0, 123456, tzinfo=datetime.UTC),  # microseconds, a DST change in Montreal
    datetime.datetime(1, 1, 1, 0, 0, 0, 1, tzinfo=datetime.UTC),
    datetime.datetime(9999, 12, 31, 23, 59, 59, 999999, tzinfo=datetime.UTC),
    datetime.datetime(2026, 6, 1, 12, 0, tzinfo=datetime.timezone(datetime.timedelta(hours=-4))),  # another offset
]


def read(django_loader: bool) -> list:
    with connection.cursor() as cursor:
        if django_loader:
            register_tzloader(connection.timezone, cursor.cursor)
        cursor.execute(SQL, [WRITTEN])
        return [row[0] for row in cursor.fetchall()]


def test_cursors_read_timestamps_with_psycopgs_loader():
    with connection.cursor() as cursor:
        loader = cursor.cursor.adapters.get_loader(TIMESTAMPTZ, Format.TEXT)
    # psycopg's default: its C implementation with psycopg[binary] (a dependency), not Django's subclass.
    assert loader is psycopg.adapters.get_loader(TIMESTAMPTZ, Format.TEXT)
    assert loader.__module__ != "django.db.backends.postgresql.psycopg_any"


def test_timestamps_are_what_djangos_loader_reads():
    ours, djangos = read(django_loader=False), read(django_loader=True)
    assert len(ours) > len(WRITTEN)
    assert ours == djangos
    assert all(value.tzinfo is datetime.UTC for value in ours)
    assert [value.isoformat() for value in ours] == [value.isoformat() for value in djangos]
    assert ours[: len(WRITTEN)] == WRITTEN


def test_the_orm_reads_them_too():
    offer = Offer.objects.order_by("id").first()
    when = datetime.datetime(2026, 3, 8, 7, 30, 0, 123456, tzinfo=datetime.UTC)
    Offer.objects.filter(pk=offer.pk).update(created_at=when)
    value = Offer.objects.values_list("created_at", flat=True).get(pk=offer.pk)
    assert value == when and value.tzinfo is datetime.UTC
