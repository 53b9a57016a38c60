from pathlib import Path

from django.db import migrations

FUNCTION = (Path(__file__).resolve().parents[1] / "sql" / "public_location.sql").read_text()
TABLES = ["places_building", "places_pointofinterest", "places_organisation"]


def triggers(tables):
    """Create the trigger on each table, then fill public_location for the rows already there."""
    return [
        f"""CREATE TRIGGER public_location BEFORE INSERT OR UPDATE OF location, location_precision ON {table}
            FOR EACH ROW EXECUTE FUNCTION quartier_public_location();
            UPDATE {table} SET location = location;"""
        for table in tables
    ]


class Migration(migrations.Migration):
    dependencies = [("places", "0004_public_location")]

    operations = [
        migrations.RunSQL(FUNCTION, "DROP FUNCTION IF EXISTS quartier_public_location() CASCADE"),
        *[
            migrations.RunSQL(sql, f"DROP TRIGGER IF EXISTS public_location ON {table}")
            for sql, table in zip(triggers(TABLES), TABLES, strict=True)
        ],
    ]
