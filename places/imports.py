"""Importing a boundary layer from a file, for the command line and for partners' uploads alike:
read through GDAL, reproject to WGS84, check limits, write all districts or none, repair, measure,
subdivide, tie to parents and assign located rows (places.services.layer_refresh)."""

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from django.core.exceptions import ValidationError
from django.db import transaction

from geoschema.errors import limit_exceeded
from geoschema.texts import is_blank, trim
from places.models import BoundaryLayer, District, Organisation
from places.services import layer_refresh, lift_statement_timeout
from places.sources import (
    SourceError,
    SourceFeature,
    as_multipolygon,
    open_layer,
    pick_field,
    polygon_problem,
    read_features,
    wgs84_problem,
)

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


def layer_fields_check(*, slug: str, name: str = "", attribution: str = "", licence: str = "") -> None:
    """Raise SourceError, naming each field, unless a layer can be stored under these: a slug
    (letters, digits, hyphens, underscores) and texts within the lengths of BoundaryLayer."""
    layer = BoundaryLayer(slug=slug, name=name.strip() or slug, attribution=attribution, licence=licence)
    problems = field_problems(layer, ("slug", "name", "attribution", "licence"))
    if problems:
        raise SourceError(problems)


def field_problems(instance, names: tuple[str, ...]) -> str:
    """What keeps these fields of `instance` from being stored, one `field: problem` each, or "":
    the model's own checks (lengths, blanks, choices), and NUL characters. Every importer asks
    this before it writes a row from a file (boundary layers here, places in import_places)."""
    errors: dict[str, list[str]] = {}
    try:
        instance.clean_fields(exclude={f.name for f in instance._meta.get_fields() if f.name not in names})
    except ValidationError as exc:
        errors = exc.message_dict
    for name in names:  # a model CharField has no NUL validator (forms add one); PostgreSQL refuses them
        value = getattr(instance, name) or ""
        texts = value if isinstance(value, list | tuple) else [value]
        if any("\x00" in str(text) for text in texts) and name not in errors:
            errors[name] = ["it must not contain a NUL character."]
    return "; ".join(f"{name}: {' '.join(messages)}" for name, messages in errors.items())


@transaction.atomic
def layer_import(
    *,
    path: str | Path,
    spec: LayerSpec,
    limits: Limits | None = None,
    progress: Callable[[int, int], None] | None = None,
    label: str | None = None,
) -> ImportResult:
    """Import the file at `path` as layer `spec.slug`, all or nothing. Raises SourceError for a file
    that cannot be read as asked or holds a feature that cannot be imported, LIMIT_EXCEEDED past
    `limits`. Messages call the file `label` (its path by default)."""
    layer_fields_check(slug=spec.slug, name=spec.name, attribution=spec.attribution, licence=spec.licence)
    lift_statement_timeout()
    gdal_layer = open_layer(path, spec.source_layer, label=label)
    total = len(gdal_layer)
    if not total:
        raise SourceError(f"{label or path} holds no features")
    if limits and total > limits.features:
        raise limit_exceeded(f"the file has {total} features; at most {limits.features} are accepted")
    code_field = pick_field(gdal_layer.fields, spec.code_field, CODE_FIELDS, "district code")
    name_field = pick_field(gdal_layer.fields, spec.name_field, NAME_FIELDS, "district name")
    layer = _layer_for(spec)
    seen: dict[str, SourceFeature] = {}
    vertices = 0
    for feature in read_features(gdal_layer, srid=spec.srid, without_geometry=True):
        if spec.where and str(feature.properties.get(spec.where[0])) != spec.where[1]:
            continue
        code, name = _code_and_name(feature, code_field, name_field)
        if feature.geometry is None:
            raise SourceError(f"{feature.label('code', code)}: {feature.problem or 'it has no geometry'}")
        vertices += feature.geometry.num_coords
        if limits and vertices > limits.vertices:
            raise limit_exceeded(f"the file has more than {limits.vertices} vertices: simplify it first")
        if code in seen:
            raise SourceError(f"code {code!r} appears twice in {code_field!r}: choose another code property")
        seen[code] = feature
        District.objects.update_or_create(
            layer=layer, code=code, defaults={"name": name, "geometry": _district_geometry(feature, code)}
        )
        if progress:
            progress(feature.index + 1, total)
    if not seen:
        raise SourceError("no feature to import (check --where, or the file's layer)")
    removed, _ = layer.districts.exclude(code__in=seen).delete()
    repaired = layer_refresh(layer=layer, parent_layer=spec.parent)
    # polygon_problem has refused what ST_MakeValid would reduce to nothing; PostGIS' GEOS has the last word.
    emptied = layer.districts.filter(area_m2__lte=0).values_list("code", flat=True).first()
    if emptied is not None:
        raise SourceError(f"{seen[emptied].label('code', emptied)}: its polygons enclose no area once repaired")
    with_parent = layer.districts.filter(parent__isnull=False).count() if spec.parent else 0
    return ImportResult(layer, len(seen), repaired, removed, with_parent)


def _code_and_name(feature: SourceFeature, code_field: str, name_field: str) -> tuple[str, str]:
    """The feature's code and name (the code when it has none), as District can store them. A code is
    a text or a number (an INSEE code read as one), never blank; a name left empty takes the code,
    but one of only spaces or invisible characters is refused, as an object or an array for either."""
    for field, what in ((code_field, "code"), (name_field, "name")):
        if field in feature.structured:
            raise SourceError(
                f"{feature.label()}: its {field!r} is an object or an array (or a text where the file holds "
                f"arrays in {field!r}): a district {what} is a text{' or a number' if what == 'code' else ''}"
            )
    raw_code = feature.properties.get(code_field)
    code = "" if raw_code is None else trim(str(raw_code))
    if is_blank(code):
        raise SourceError(
            f"{feature.label()}: it has no {code_field!r}, or one of only spaces or invisible characters, "
            "and every district needs a code"
        )
    raw_name = feature.properties.get(name_field)
    name = "" if raw_name is None else trim(str(raw_name))
    if raw_name not in (None, "") and is_blank(name):
        raise SourceError(
            f"{feature.label('code', code)}: its {name_field!r} is only spaces or invisible characters: "
            "give it a name, or leave it empty for the code"
        )
    name = name or code
    problems = field_problems(District(code=code, name=name), ("code", "name"))
    if problems:
        raise SourceError(f"{feature.label()}: {problems}")
    return code, name


def _district_geometry(feature: SourceFeature, code: str):
    """The feature's geometry as a district's MultiPolygon, once it is known to fit on the globe
    and to enclose an area."""
    try:
        geometry = as_multipolygon(feature.geometry)
    except SourceError as exc:
        raise SourceError(f"{feature.label('code', code)}: {exc}") from exc
    problem = wgs84_problem(geometry) or polygon_problem(geometry)
    if problem:
        raise SourceError(f"{feature.label('code', code)}: {problem}")
    return geometry


def _layer_for(spec: LayerSpec) -> BoundaryLayer:
    fields = {
        "name": spec.name.strip() or spec.slug,
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
