"""manage.py import_places FILE --source NAME: load points of interest from GeoJSON, Shapefile or
GeoPackage, in any CRS. Re-runnable: rows are matched by (source, id in the source)."""

import sys
from collections import Counter

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from places.models import PointOfInterest
from places.services import districts_assign, lift_statement_timeout
from places.sources import SourceError, open_layer, pick_field, read_features

ID_FIELDS = ("id", "objectid", "fid", "identifiant", "stationcode")
NAME_FIELDS = ("name", "nom", "nom français", "nom_fr", "label")
CATEGORY_FIELDS = ("catégorie", "categorie", "category", "categories", "type")
BATCH = 2000


ACCESSIBILITY = ("wheelchair", "step_free_entrance", "accessible_toilet", "hearing_loop", "parking")
YES, NO = {"yes", "oui", "true", "1", "y", "o"}, {"no", "non", "false", "0", "n"}


def accessible(attribute: str, value) -> bool | str | None:
    """A source's yes/no (in English or French) as the attribute's value; anything else: unknown."""
    text = str(value).strip().lower() if value is not None else ""
    if attribute == "wheelchair":
        limited = text in {"limited", "limité", "partiel", "partial"}
        return "YES" if text in YES else "NO" if text in NO else "LIMITED" if limited else "UNKNOWN"
    return True if text in YES else False if text in NO else None


class Command(BaseCommand):
    help = "Import points of interest from a GeoJSON, Shapefile (.shp or .zip) or GeoPackage file."

    def add_arguments(self, parser):
        parser.add_argument("file")
        parser.add_argument("--source", required=True, help="name of the dataset, which keys re-imports")
        parser.add_argument("--id-field")
        parser.add_argument("--name-field")
        parser.add_argument("--category-field", action="append", help="property holding a category (repeatable)")
        parser.add_argument("--address-field", action="append", help="property joined into the address (repeatable)")
        parser.add_argument("--srid", type=int, help="the file's CRS when it does not say (EPSG code)")
        parser.add_argument(
            "--accessibility-field",
            action="append",
            metavar="ATTRIBUTE=PROPERTY",
            help=f"an accessibility attribute ({', '.join(ACCESSIBILITY)}) read from a property holding yes/no "
            "(oui/non, true/false, 1/0; `limited` for wheelchair) (repeatable)",
        )

    def handle(self, *args, **options):
        try:
            with transaction.atomic():
                lift_statement_timeout()
                self._import(options)
        except SourceError as exc:
            raise CommandError(str(exc)) from exc

    def _import(self, options):
        gdal_layer = open_layer(options["file"])
        fields = gdal_layer.fields
        id_field = pick_field(fields, options["id_field"], ID_FIELDS, "id")
        name_field = pick_field(fields, options["name_field"], NAME_FIELDS, "name")
        category_fields = options["category_field"] or [pick_field(fields, None, CATEGORY_FIELDS, "category")]
        accessibility = dict(pair.split("=", 1) for pair in options["accessibility_field"] or [])
        if unknown := set(accessibility) - set(ACCESSIBILITY):
            raise CommandError(f"unknown accessibility attributes {sorted(unknown)}: {', '.join(ACCESSIBILITY)}")
        self.accessibility = list(accessibility)
        for field in category_fields + (options["address_field"] or []) + list(accessibility.values()):
            pick_field(fields, field, (), field)
        total, written, occurrences = len(gdal_layer), 0, Counter()
        batch: list[PointOfInterest] = []
        for feature in read_features(gdal_layer, srid=options["srid"]):
            if feature.geometry.geom_type != "Point":
                feature.geometry = feature.geometry.point_on_surface
            props = feature.properties
            source_id = str(props[id_field])
            occurrences[source_id] += 1
            if occurrences[source_id] > 1:  # two places under one id in the source: keep both
                source_id = f"{source_id}#{occurrences[source_id]}"
            batch.append(
                PointOfInterest(
                    source=options["source"],
                    source_id=source_id,
                    name=str(props[name_field] or "").strip()[:300],
                    categories=[str(props[f]).strip() for f in category_fields if props.get(f)],
                    address=" ".join(str(props[f]).strip() for f in options["address_field"] or [] if props.get(f)),
                    location=feature.geometry,
                    **{attribute: accessible(attribute, props.get(f)) for attribute, f in accessibility.items()},
                )
            )
            if len(batch) >= BATCH:
                written += self._flush(batch, total, written)
        written += self._flush(batch, total, written)
        print(file=sys.stderr)
        districts_assign(model=PointOfInterest)
        self.stdout.write(f"source {options['source']}: {written} points of interest imported or updated")

    def _flush(self, batch: list[PointOfInterest], total: int, written: int) -> int:
        if not batch:
            return 0
        PointOfInterest.objects.bulk_create(
            batch,
            update_conflicts=True,
            unique_fields=["source", "source_id"],
            # a re-import without accessibility columns keeps what an earlier one brought
            update_fields=["name", "categories", "address", "location", *self.accessibility],
        )
        count = len(batch)
        batch.clear()
        print(f"\r  {written + count}/{total} features", end="", file=sys.stderr, flush=True)
        return count
