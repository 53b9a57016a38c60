"""Importing a boundary layer from a file, for the command line and for partners' uploads alike:
read through GDAL, reproject to WGS84, check limits, write all districts or none, repair, measure,
subdivide, tie to parents and assign located rows (places.services.layer_refresh)."""

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from django.db import transaction

from geoschema.errors import limit_exceeded
from places.models import BoundaryLayer, District, Organisation
from places.services import layer_refresh, lift_statement_timeout
from places.sources import SourceError, as_multipolygon, open_layer, pick_field, read_features

CODE_FIELDS = ("code", "codeid", "c_ar", "c_qu", "no_qr", "insee", "id", "num", "objectid")
NAME_FIELDS = ("name", "nom", "nom_qr", "l_ar", "l_qu", "q_socio", "nom_fr", "label")


@dataclass
class LayerSpec:
    """What to import and how: the layer's identity and where to read codes and names."""

    slug: str
    name: str = ""
    kind: str = BoundaryLayer.Kind.ADMINISTRATIVE
    attribution: str = ""
    licence: str = ""
    code_field: str | None = None
    name_field: str | None = None
    srid: int | None = None
    parent: BoundaryLayer | None = None
    where: tuple[str, str] | None = None
    source_layer: str | int = 0
    owner: Organisation | None = None
    visibility: str = BoundaryLayer.Visibility.PUBLIC
    new_version: bool = False  # True: keep the current version and add one; False: update it in place


@dataclass
class Limits:
    features: int
    vertices: int


@dataclass
class ImportResult:
    layer: BoundaryLayer
    districts: int
    repaired: int
    removed: int
    with_parent: int


@transaction.atomic
def layer_import(
    *,
    path: str | Path,
    spec: LayerSpec,
    limits: Limits | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> ImportResult:
    """Import the file at `path` as layer `spec.slug`, all or nothing. Raises SourceError for a file
    that cannot be read as asked, LIMIT_EXCEEDED past `limits`."""
    lift_statement_timeout()
    gdal_layer = open_layer(path, spec.source_layer)
    total = len(gdal_layer)
    if limits and total > limits.features:
        raise limit_exceeded(f"the file has {total} features; at most {limits.features} are accepted")
    code_field = pick_field(gdal_layer.fields, spec.code_field, CODE_FIELDS, "district code")
    name_field = pick_field(gdal_layer.fields, spec.name_field, NAME_FIELDS, "district name")
    layer = _layer_for(spec)
    seen: set[str] = set()
    vertices = 0
    for index, feature in enumerate(read_features(gdal_layer, srid=spec.srid), start=1):
        if spec.where and str(feature.properties.get(spec.where[0])) != spec.where[1]:
            continue
        vertices += feature.geometry.num_coords
        if limits and vertices > limits.vertices:
            raise limit_exceeded(f"the file has more than {limits.vertices} vertices: simplify it first")
        code = str(feature.properties[code_field]).strip()
        if code in seen:
            raise SourceError(f"code {code!r} appears twice in {code_field!r}: choose another code property")
        seen.add(code)
        District.objects.update_or_create(
            layer=layer,
            code=code,
            defaults={
                "name": str(feature.properties[name_field] or code).strip(),
                "geometry": as_multipolygon(feature.geometry),
            },
        )
        if progress:
            progress(index, total)
    if not seen:
        raise SourceError("no feature to import (check --where, or the file's layer)")
    removed, _ = layer.districts.exclude(code__in=seen).delete()
    repaired = layer_refresh(layer=layer, parent_layer=spec.parent)
    with_parent = layer.districts.filter(parent__isnull=False).count() if spec.parent else 0
    return ImportResult(layer, len(seen), repaired, removed, with_parent)


def _layer_for(spec: LayerSpec) -> BoundaryLayer:
    fields = {
        "name": spec.name or spec.slug,
        "kind": spec.kind,
        "attribution": spec.attribution,
        "licence": spec.licence,
        "owner": spec.owner,
        "visibility": spec.visibility,
    }
    current = BoundaryLayer.objects.select_for_update().filter(slug=spec.slug, is_current=True).first()
    if current is None:
        return BoundaryLayer.objects.create(slug=spec.slug, **fields)
    if not spec.new_version:
        for name, value in fields.items():
            setattr(current, name, value)
        current.save()
        return current
    BoundaryLayer.objects.filter(pk=current.pk).update(is_current=False)
    return BoundaryLayer.objects.create(slug=spec.slug, version=current.version + 1, **fields)
