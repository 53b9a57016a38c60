"""District membership follows the public location from now on (places.services.districts_assign):
reassign the rows whose public location differs from the exact one (coarse places only)."""

from django.db import migrations

TABLES = [
    ("offers_offer", "offers_offer_districts", "offer_id"),
    ("offers_need", "offers_need_districts", "need_id"),
    ("offers_project", "offers_project_districts", "project_id"),
    ("places_building", "places_building_districts", "building_id"),
    ("places_pointofinterest", "places_pointofinterest_districts", "pointofinterest_id"),
    ("places_organisation", "places_organisation_districts", "organisation_id"),
]


def reassign(apps, schema_editor):
    with schema_editor.connection.cursor() as cursor:
        for table, through, column in TABLES:
            coarse = f"SELECT id FROM {table} WHERE location_precision <> 'EXACT'"
            cursor.execute(f"DELETE FROM {through} WHERE {column} IN ({coarse})")
            cursor.execute(
                f"""INSERT INTO {through} ({column}, district_id)
                    SELECT DISTINCT o.id, part.district_id FROM {table} o
                      JOIN places_districtpart part ON ST_Intersects(part.geometry, o.public_location::geometry)
                     WHERE o.location_precision <> 'EXACT'"""
            )


class Migration(migrations.Migration):
    dependencies = [("offers", "0007_community"), ("places", "0005_public_location_trigger")]
    operations = [migrations.RunPython(reassign, migrations.RunPython.noop)]
