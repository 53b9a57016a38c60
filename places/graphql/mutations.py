"""importBoundaryLayer: a partner overlays its own boundaries, as GeoJSON in the request or as a
Shapefile (zip) or GeoPackage file through the GraphQL multipart upload spec."""

import json
import tempfile
import zipfile
from pathlib import Path

import strawberry
from django.conf import settings
from django.contrib.gis.gdal import GDALException, SpatialReference
from django.core.exceptions import PermissionDenied
from strawberry import relay
from strawberry.file_uploads import Upload
from strawberry.scalars import JSON

from accounts.permissions import IsAuthenticated, can_upload_layer, visible_layers
from geoschema.errors import bad_input, limit_exceeded, not_found
from geoschema.ids import object_from_id
from places.graphql.types import BoundaryLayerType, LayerKind, LayerVisibility
from places.imports import LayerSpec, Limits, layer_fields_check, layer_import
from places.models import BoundaryLayer, Organisation
from places.selectors import layer_by_slug
from places.sources import SourceError, geojson_problem

SUFFIXES = {".zip", ".gpkg", ".geojson", ".json"}
# A zip may unpack to this many times the upload limit: a Shapefile compresses 3 to 5 times, a zip
# bomb a thousand (GDAL would inflate it before any feature or vertex limit is reached).
UNZIPPED_FACTOR = 10


@strawberry.input(description="A boundary layer to import: `featureCollection` or `file`, not both.")
class BoundaryLayerImportInput:
    slug: str
    name: str
    feature_collection: JSON | None = strawberry.field(default=None, description="A GeoJSON FeatureCollection.")
    file: Upload | None = strawberry.field(default=None, description="A zipped Shapefile, a GeoPackage or GeoJSON.")
    crs: str | None = strawberry.field(default=None, description="The data's CRS when it does not say: EPSG:2950")
    code_property: str | None = None
    name_property: str | None = None
    parent_layer: str | None = strawberry.field(default=None, description="Tie each district to one of this layer's.")
    owner_id: relay.GlobalID | None = strawberry.field(default=None, description="The partner organisation.")
    visibility: LayerVisibility = LayerVisibility.PUBLIC  # type: ignore[attr-defined]
    kind: LayerKind = LayerKind.PARTNER  # type: ignore[attr-defined]
    attribution: str = ""
    licence: str = ""


@strawberry.type(name="BoundaryLayerImport", description="What an import did.")
class BoundaryLayerImportType:
    layer: BoundaryLayerType
    districts: int
    repaired: int = strawberry.field(description="Invalid polygons that were repaired (ST_MakeValid).")


def _srid(crs: str | None) -> int | None:
    if crs is None:
        return None
    code = crs.upper().removeprefix("EPSG:")
    try:
        return SpatialReference(int(code)).srid
    except (ValueError, GDALException) as exc:
        raise bad_input(f"crs {crs!r} is not an EPSG code GDAL knows (like EPSG:2950)") from exc


def _write_source(data: BoundaryLayerImportInput, folder: Path) -> tuple[Path, str]:
    """The request's data as a file GDAL can open, within the size limits, and the name of the
    input field it came from (for messages: the file's path on the server is no one's business)."""
    limit = settings.QUARTIER["IMPORT_MAX_BYTES"]
    if (data.feature_collection is None) == (data.file is None):
        raise bad_input("give either featureCollection or file")
    if data.file is not None:
        suffix = Path(data.file.name or "").suffix.lower()
        if suffix not in SUFFIXES:
            raise bad_input(f"file must be one of {', '.join(sorted(SUFFIXES))}, got {data.file.name!r}")
        if data.file.size > limit:
            raise limit_exceeded(f"file is {data.file.size} bytes; at most {limit} are accepted")
        if not data.file.size:
            raise bad_input("file is empty")
        path = folder / f"upload{suffix}"
        with path.open("wb") as out:
            for chunk in data.file.chunks():
                out.write(chunk)
        if suffix == ".zip":
            _check_unzipped_size(path, UNZIPPED_FACTOR * limit)
        elif suffix in (".geojson", ".json"):
            _check_geojson(_parse_json(path.read_bytes(), "file"), "file", data.crs)
        return path, "file"
    collection = data.feature_collection
    if isinstance(collection, str):
        collection = _parse_json(collection, "featureCollection")
    if not isinstance(collection, dict) or collection.get("type") != "FeatureCollection":
        raise bad_input("featureCollection must be a GeoJSON FeatureCollection")
    _check_geojson(collection, "featureCollection", data.crs)
    text = json.dumps(collection)
    if len(text) > limit:
        raise limit_exceeded(f"featureCollection is {len(text)} bytes; at most {limit} are accepted")
    path = folder / "upload.geojson"
    path.write_text(text, encoding="utf-8")
    return path, "featureCollection"


def _parse_json(text: str | bytes, field: str):
    try:
        return json.loads(text)
    except (ValueError, RecursionError) as exc:  # UnicodeDecodeError is a ValueError
        raise bad_input(f"{field} is not valid JSON: {str(exc)[:200]}") from exc


def _check_geojson(document, field: str, crs: str | None) -> None:
    problem = geojson_problem(document, with_crs=crs is None)
    if problem:
        raise bad_input(f"{field}: {problem}")


def _check_unzipped_size(path: Path, most: int) -> None:
    try:
        with zipfile.ZipFile(path) as archive:
            size = sum(member.file_size for member in archive.infolist())
    except (zipfile.BadZipFile, OSError, ValueError):
        return  # not a zip GDAL can read either; open_layer says so
    if size > most:
        raise limit_exceeded(f"file unzips to {size} bytes; at most {most} are accepted")


@strawberry.type
class Mutation:
    @strawberry.mutation(
        permission_classes=[IsAuthenticated],
        description="Import a partner's boundary layer, all or nothing; a new upload of a slug adds a version.",
    )
    def import_boundary_layer(self, info: strawberry.Info, input: BoundaryLayerImportInput) -> BoundaryLayerImportType:
        user = info.context.request.user
        try:  # before the slug reaches a query
            layer_fields_check(slug=input.slug, name=input.name, attribution=input.attribution, licence=input.licence)
        except SourceError as exc:
            raise bad_input(str(exc)) from exc
        owner = None
        if input.owner_id is not None:
            owner = object_from_id(input.owner_id, "Organisation", Organisation.objects.all(), "ownerId")
        if owner is None and not user.is_staff:
            raise bad_input("ownerId: the partner organisation the layer belongs to")
        if owner is not None and owner.kind != Organisation.Kind.PARTNER:
            raise bad_input(f"ownerId: {owner.name} is not a partner organisation")
        current = BoundaryLayer.objects.filter(slug=input.slug, is_current=True).first()
        if not can_upload_layer(user, owner, current):
            raise PermissionDenied(
                f"layer {input.slug!r} belongs to another organisation"
                if current is not None and current.owner_id != getattr(owner, "pk", None)
                else "you are not a member of this partner organisation"
            )
        parent = None
        if input.parent_layer:
            # Among the layers the caller may see: another partner's members-only layer is not there.
            parent = layer_by_slug(input.parent_layer, visible=visible_layers(user))
            if parent is None:
                raise not_found(f"parentLayer: no boundary layer {input.parent_layer!r}: the `layers` query lists them")
        spec = LayerSpec(
            slug=input.slug,
            name=input.name,
            kind=input.kind.value,
            attribution=input.attribution,
            licence=input.licence,
            code_field=input.code_property,
            name_field=input.name_property,
            srid=_srid(input.crs),
            parent=parent,
            owner=owner,
            visibility=input.visibility.value,
            new_version=True,
        )
        limits = Limits(
            features=settings.QUARTIER["IMPORT_MAX_FEATURES"], vertices=settings.QUARTIER["IMPORT_MAX_VERTICES"]
        )
        with tempfile.TemporaryDirectory(prefix="quartier-import-") as folder:
            path, field = _write_source(input, Path(folder))
            try:
                result = layer_import(path=path, spec=spec, limits=limits, label=field)
            except SourceError as exc:
                raise bad_input(str(exc)) from exc
        return BoundaryLayerImportType(layer=result.layer, districts=result.districts, repaired=result.repaired)
