"""manage.py import_boundaries FILE --layer SLUG: load a boundary layer from GeoJSON, Shapefile or
GeoPackage, in any CRS. Re-runnable: districts are matched by code, those gone from the file removed
(or, with --new-version, a new version of the layer is added and the old one kept)."""

import sys

from django.core.management.base import BaseCommand, CommandError

from places.imports import LayerSpec, layer_import
from places.models import BoundaryLayer
from places.selectors import layer_by_slug
from places.sources import SourceError


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
        parser.add_argument("--new-version", action="store_true", help="keep the current version, add a new one")

    def handle(self, *args, **options):
        parent = None
        if options["parent_layer"]:
            parent = layer_by_slug(options["parent_layer"])
            if parent is None:
                raise CommandError(f"no layer {options['parent_layer']!r}: import the parent layer first")
        source_layer = options["source_layer"]
        spec = LayerSpec(
            slug=options["layer"],
            name=options["name"] or options["layer"],
            kind=options["kind"],
            attribution=options["attribution"],
            licence=options["licence"],
            code_field=options["code_field"],
            name_field=options["name_field"],
            srid=options["srid"],
            parent=parent,
            where=_parse_where(options["where"]),
            source_layer=int(source_layer) if str(source_layer).isdigit() else source_layer,
            new_version=options["new_version"],
        )
        try:
            result = layer_import(path=options["file"], spec=spec, progress=_progress)
        except SourceError as exc:
            raise CommandError(str(exc)) from exc
        print(file=sys.stderr)
        self.stdout.write(
            f"layer {result.layer.slug} v{result.layer.version}: {result.districts} districts imported, "
            f"{result.repaired} invalid polygons repaired, {result.removed} removed"
            + (f", {result.with_parent} tied to a parent in {parent.slug}" if parent else "")
        )


def _progress(index: int, total: int) -> None:
    if index % 500 == 0 or index == total:
        print(f"\r  {index}/{total} features", end="", file=sys.stderr, flush=True)


def _parse_where(where: str | None) -> tuple[str, str] | None:
    if not where:
        return None
    field, sep, value = where.partition("=")
    if not sep:
        raise CommandError("--where takes FIELD=VALUE")
    return field, value
