"""manage.py import_places FILE --source NAME: load points of interest from GeoJSON, Shapefile or
GeoPackage, in any CRS. Re-runnable: rows are matched by (source, id in the source)."""

import sys
from collections import Counter
from dataclasses import dataclass

from django.contrib.gis.geos import GEOSException
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from places.imports import field_problems
from places.models import PointOfInterest
from places.services import districts_assign, lift_statement_timeout
from places.sources import SourceError, SourceFeature, open_layer, pick_field, read_features, wgs84_problem

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


@dataclass
class Columns:
    """Which properties of the file hold what."""

    id: str
    name: str
    categories: list[str]
    address: list[str]
    accessibility: dict[str, str]  # attribute: property


def place_from(feature: SourceFeature, *, source: str, columns: Columns, occurrences: Counter) -> PointOfInterest:
    """The place a feature describes, once its texts fit PointOfInterest and its geometry the globe
    (the checks that boundary imports run); SourceError naming the feature otherwise."""
    props = feature.properties
    raw_id = props.get(columns.id)
    if raw_id is None or not str(raw_id).strip():
        raise SourceError(f"{feature.label()}: it has no {columns.id!r}, and every place needs an id")
    source_id = str(raw_id)
    occurrences[source_id] += 1
    if occurrences[source_id] > 1:  # two places under one id in the source: keep both
        source_id = f"{source_id}#{occurrences[source_id]}"
    name = str(props.get(columns.name) or "").strip()
    if not name:
        raise SourceError(f"{feature.label()}: it has no {columns.name!r}, and every place needs a name")
    place = PointOfInterest(
        source=source,
        source_id=source_id,
        name=name,
        categories=[text for f in columns.categories if props.get(f) and (text := str(props[f]).strip())],
        address=" ".join(str(props[f]).strip() for f in columns.address if props.get(f)),
        **{attribute: accessible(attribute, props.get(f)) for attribute, f in columns.accessibility.items()},
    )
    problems = field_problems(place, ("source_id", "name", "categories", "address"))
    if problems:
        raise SourceError(f"{feature.label()}: {problems}")
    which = feature.label("id", source_id)
    problem = feature.problem or wgs84_problem(feature.geometry)
    if problem:
        raise SourceError(f"{which}: {problem}")
    try:
        point = feature.geometry if feature.geometry.geom_type == "Point" else feature.geometry.point_on_surface
    except GEOSException as exc:
        raise SourceError(f"{which}: no point can be found on its {feature.geometry.geom_type} ({exc})") from exc
    if point.empty:
        raise SourceError(f"{which}: no point can be found on its {feature.geometry.geom_type}")
    place.location = point
    return place


def _accessibility_fields(pairs: list[str]) -> dict[str, str]:
    """--accessibility-field ATTRIBUTE=PROPERTY options as {attribute: property}."""
    fields = {}
    for pair in pairs:
        attribute, sep, prop = pair.partition("=")
        if not sep or not prop:
            raise CommandError(f"--accessibility-field takes ATTRIBUTE=PROPERTY, not {pair!r}")
        fields[attribute] = prop
    if unknown := set(fields) - set(ACCESSIBILITY):
        raise CommandError(f"unknown accessibility attributes {sorted(unknown)}: {', '.join(ACCESSIBILITY)}")
    return fields


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
        problems = field_problems(PointOfInterest(source=options["source"]), ("source",))
        if problems:
            raise SourceError(problems)
        accessibility = _accessibility_fields(options["accessibility_field"] or [])
        self.accessibility = list(accessibility)
        gdal_layer = open_layer(options["file"])
        total = len(gdal_layer)
        if not total:
            raise SourceError(f"{options['file']} holds no features")
        fields = gdal_layer.fields
        columns = Columns(
            id=pick_field(fields, options["id_field"], ID_FIELDS, "id"),
            name=pick_field(fields, options["name_field"], NAME_FIELDS, "name"),
            categories=options["category_field"] or [pick_field(fields, None, CATEGORY_FIELDS, "category")],
            address=options["address_field"] or [],
            accessibility=accessibility,
        )
        for field in columns.categories + columns.address + list(accessibility.values()):
            pick_field(fields, field, (), field)
        written, skipped, occurrences = 0, 0, Counter()
        batch: list[PointOfInterest] = []
        for feature in read_features(gdal_layer, srid=options["srid"], without_geometry=True):
            if feature.geometry is None and feature.problem is None:
                skipped += 1  # a row without a place, as lists of places often hold: not an error
                continue
            batch.append(place_from(feature, source=options["source"], columns=columns, occurrences=occurrences))
            if len(batch) >= BATCH:
                written += self._flush(batch, total, written)
        written += self._flush(batch, total, written)
        print(file=sys.stderr)
        districts_assign(model=PointOfInterest)
        self.stdout.write(
            f"source {options['source']}: {written} points of interest imported or updated"
            + (f", {skipped} features without a geometry skipped" if skipped else "")
        )

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
