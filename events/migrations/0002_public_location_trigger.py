"""The public-location trigger (places/sql/public_location.sql) on the events table."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("events", "0001_initial"), ("places", "0005_public_location_trigger")]

    operations = [
        migrations.RunSQL(
            """CREATE TRIGGER public_location BEFORE INSERT OR UPDATE OF location, location_precision ON events_event
               FOR EACH ROW EXECUTE FUNCTION quartier_public_location();""",
            "DROP TRIGGER IF EXISTS public_location ON events_event",
        )
    ]
