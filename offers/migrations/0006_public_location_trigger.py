"""The public-location trigger (places/sql/public_location.sql) on the offers tables."""

from django.db import migrations

TABLES = ["offers_offer", "offers_need", "offers_project"]

class Migration(migrations.Migration):
    dependencies = [("offers", "0005_public_location"), ("places", "0005_public_location_trigger")]

    operations = [
        migrations.RunSQL(
            f"""CREATE TRIGGER public_location BEFORE INSERT OR UPDATE OF location, location_precision ON {table}
                FOR EACH ROW EXECUTE FUNCTION quartier_public_location();
                UPDATE {table} SET location = location;""",
            f"DROP TRIGGER IF EXISTS public_location ON {table}",
        )
        for table in TABLES
    ]
