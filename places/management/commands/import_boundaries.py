"""manage.py import_boundaries FILE --layer SLUG: load a boundary layer from GeoJSON, Shapefile or
GeoPackage, in any CRS. Re-runnable: districts are matched by code, those gone from the file removed."""

import sys

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from places.models import BoundaryLayer, District
from places.services import layer_refresh, lift_statement_timeout
from places.sources import SourceError, as_multipolygon, open_layer, pick_field, read_features

CODE_FIELDS = ("code", "codeid", "c_ar", "c_qu", "no_qr", "insee", "id", "num", "objectid")
NAME_FIELDS = ("name", "nom", "nom_qr", "l_ar", "l_qu", "q_socio", "nom_fr", "label")


class Command(BaseCommand):
    help = "Import a boundary layer (districts) from a GeoJSON, Shapefile (.shp or .zip) or GeoPackage file."

    def add_arguments(self, parser):
        parser.add_argument("file")
        parser.add_argument("--layer", required=True, help="slug of the layer to create or update")
        parser.add_argument("--name", help="human name of the layer (default: the slug)")
        parser.add_argument("--kind", choices=[k.value for k in BoundaryLayer.Kind], default="ADMINISTRATIVE")
        parser.add_argument("--code-field", help="property holding each district's code")
        parser.add_argument("--name-field", help="property holding each district's name")
        parser.add_argument("--where", help="keep only features whose FIELD=VALUE")
        parser.add_argument("--parent-layer", help="slug of a layer whose districts contain these")
        parser.add_argument("--srid", type=int, help="the file's CRS when it does not say (EPSG code)")
        parser.add_argument("--source-layer", default=0, help="layer name or index inside the file")
        parser.add_argument("--attribution", default="")
        parser.add_argument("--licence", default="")

    def handle(self, *args, **options):
        try:
            with transaction.atomic():
                lift_statement_timeout()
                self._import(options)
        except SourceError as exc:
            raise CommandError(str(exc)) from exc

    def _import(self, options):
        source_layer = options["source_layer"]
        gdal_layer = open_layer(options["file"], int(source_layer) if str(source_layer).isdigit() else source_layer)
        code_field = pick_field(gdal_layer.fields, options["code_field"], CODE_FIELDS, "district code")
        name_field = pick_field(gdal_layer.fields, options["name_field"], NAME_FIELDS, "district name")
        where = _parse_where(options["where"])
        parent = None
        if options["parent_layer"]:
            parent = BoundaryLayer.objects.filter(slug=options["parent_layer"]).first()
            if parent is None:
                raise CommandError(f"no layer {options['parent_layer']!r}: import the parent layer first")

        layer, _ = BoundaryLayer.objects.update_or_create(
            slug=options["layer"],
            defaults={
                "name": options["name"] or options["layer"],
                "kind": options["kind"],
                "attribution": options["attribution"],
                "licence": options["licence"],
            },
        )
        total = len(gdal_layer)
        seen: set[str] = set()
        for index, feature in enumerate(read_features(gdal_layer, srid=options["srid"]), start=1):
            if where and str(feature.properties.get(where[0])) != where[1]:
                continue
            code = str(feature.properties[code_field]).strip()
            if code in seen:
                raise CommandError(f"code {code!r} appears twice in {code_field!r}: choose another --code-field")
            seen.add(code)
            District.objects.update_or_create(
                layer=layer,
                code=code,
                defaults={
                    "name": str(feature.properties[name_field] or code).strip(),
                    "geometry": as_multipolygon(feature.geometry),
                },
            )
            if index % 500 == 0 or index == total:
                print(f"\r  {index}/{total} features", end="", file=sys.stderr, flush=True)
        print(file=sys.stderr)
        removed, _ = layer.districts.exclude(code__in=seen).delete()
        repaired = layer_refresh(layer=layer, parent_layer=parent)
        with_parent = layer.districts.filter(parent__isnull=False).count() if parent else 0
        self.stdout.write(
            f"layer {layer.slug}: {len(seen)} districts imported, {repaired} invalid polygons repaired, "
            f"{removed} removed" + (f", {with_parent} tied to a parent in {parent.slug}" if parent else "")
        )


def _parse_where(where: str | None) -> tuple[str, str] | None:
    if not where:
        return None
    field, sep, value = where.partition("=")
    if not sep:
        raise CommandError("--where takes FIELD=VALUE")
    return field, value
