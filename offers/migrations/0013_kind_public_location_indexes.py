"""Matching searches candidates by their public places for a caller who may not see the exact ones
(matching.selectors.places_seen_by): a (kind, public_location) GiST, as (kind, location) serves the
search on exact places, so that the walk nearest first skips the other kinds' rows. Of open rows
only: matching asks for no other, and the lists' nearest first would walk it instead of the
public_location GiST, twice as slow."""

import django.contrib.postgres.indexes
from django.db import migrations
from django.db.models import Q

OPEN = Q(status="OPEN")


class Migration(migrations.Migration):
    dependencies = [("offers", "0012_text_limits")]

    operations = [
        migrations.AddIndex(
            model_name="need",
            index=django.contrib.postgres.indexes.GistIndex(
                fields=["kind", "public_location"], name="need_kind_public_location", condition=OPEN
            ),
        ),
        migrations.AddIndex(
            model_name="offer",
            index=django.contrib.postgres.indexes.GistIndex(
                fields=["kind", "public_location"], name="offer_kind_public_location", condition=OPEN
            ),
        ),
    ]
