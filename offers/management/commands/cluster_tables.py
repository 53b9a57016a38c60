"""manage.py cluster_tables: rewrite offers and needs in the order of their (kind, place) index.

Rows written over time lie scattered on disk, so a search near a place reads one disk page per
row. Clustered, the rows of one kind near one place share pages: matching at a million offers
reads a tenth of the pages. CLUSTER locks the table while it runs (about a minute per million
rows): schedule it at a quiet hour, or use pg_repack to do the same without the lock.
"""

import time

from django.core.management.base import BaseCommand
from django.db import connection

TABLES = {"offers_offer": "offer_kind_location", "offers_need": "need_kind_location"}


class Command(BaseCommand):
    help = "CLUSTER offers and needs on their (kind, location) GiST index, then ANALYZE them."

    def handle(self, *args, **options):
        with connection.cursor() as cursor:
            cursor.execute("SET statement_timeout = 0")
            for table, index in TABLES.items():
                started = time.monotonic()
                cursor.execute(f"CLUSTER {table} USING {index}")
                cursor.execute(f"ANALYZE {table}")
                self.stdout.write(f"{table} clustered on {index} in {time.monotonic() - started:.1f} s")
