"""Clusters kept per zoom: the triggers (offers/sql/cluster_cells.sql) that keep offers.ClusterCell
on offers and needs, and the cells of the rows already there (in a separate migration from the
table: Django creates the table's unique index, which the triggers' upserts name, at the end of
the migration that creates the table)."""

from pathlib import Path

from django.db import migrations

FUNCTIONS = (Path(__file__).resolve().parents[1] / "sql" / "cluster_cells.sql").read_text()
LAYERS = {"offers_offer": "offer", "offers_need": "need"}


def triggers(table: str, layer: str) -> str:
    """The four triggers on `table`, then its rows already there counted in."""
    rows = f"SELECT public_location, kind, community_id, 1 AS sign FROM {table}"
    return f"""
        CREATE TRIGGER cluster_cells_insert AFTER INSERT ON {table} REFERENCING NEW TABLE AS new_rows
            FOR EACH STATEMENT EXECUTE FUNCTION quartier_cluster_cells('{layer}');
        CREATE TRIGGER cluster_cells_update AFTER UPDATE ON {table}
            REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
            FOR EACH STATEMENT EXECUTE FUNCTION quartier_cluster_cells('{layer}');
        CREATE TRIGGER cluster_cells_delete AFTER DELETE ON {table} REFERENCING OLD TABLE AS old_rows
            FOR EACH STATEMENT EXECUTE FUNCTION quartier_cluster_cells('{layer}');
        CREATE TRIGGER cluster_cells_truncate AFTER TRUNCATE ON {table}
            FOR EACH STATEMENT EXECUTE FUNCTION quartier_cluster_cells('{layer}');
        DO $$ BEGIN EXECUTE quartier_cluster_cells_upsert('{layer}', '{rows}'); END $$;"""


def drop_triggers(table: str) -> str:
    return "".join(
        f"DROP TRIGGER IF EXISTS cluster_cells_{event} ON {table};"
        for event in ("insert", "update", "delete", "truncate")
    )


class Migration(migrations.Migration):
    dependencies = [("offers", "0010_cluster_cells")]

    operations = [
        migrations.RunSQL(
            FUNCTIONS,
            "DROP FUNCTION IF EXISTS quartier_cluster_cells() CASCADE;"
            "DROP FUNCTION IF EXISTS quartier_cluster_cells_upsert(text, text);",
        ),
        *[migrations.RunSQL(triggers(table, layer), drop_triggers(table)) for table, layer in LAYERS.items()],
    ]
