"""Reading geodata files through GeoDjango's GDAL layer: GeoJSON, Shapefile (also zipped),
GeoPackage, in any CRS that GDAL knows, handed back as GEOS geometries in WGS84."""

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.contrib.gis.gdal import CoordTransform, DataSource, GDALException, SpatialReference
from django.contrib.gis.geos import GEOSGeometry, MultiPolygon, Polygon

WGS84 = SpatialReference(4326)


class SourceError(ValueError):
    """A file that cannot be read as the geodata asked for."""


@dataclass
class SourceFeature:
    properties: dict[str, Any]
    geometry: GEOSGeometry


def open_layer(path: str | Path, layer: str | int = 0):
    """The GDAL layer of a file; a .zip is read through GDAL's /vsizip/."""
    name = str(path)
    if name.lower().endswith(".zip") and not name.startswith("/vsizip/"):
        name = f"/vsizip/{name}"
    try:
        return DataSource(name)[layer]
    except (GDALException, IndexError) as exc:
        raise SourceError(f"cannot read {path}: {exc}") from exc


def read_features(gdal_layer, *, srid: int | None = None) -> Iterator[SourceFeature]:
    """Every feature with a geometry, reprojected to WGS84 (from the file's CRS, or `srid`)."""
    source_srs = SpatialReference(srid) if srid else (gdal_layer.srs or WGS84)
    transform = None if _same_crs(source_srs, WGS84) else CoordTransform(source_srs, WGS84)
    fields = gdal_layer.fields
    for feature in gdal_layer:
        geom = feature.geom if feature.geom_type.num else None
        if geom is None:
            continue
        geom.set_3d(False)
        if transform is not None:
            geom.transform(transform)
        geos = geom.geos
        geos.srid = 4326
        yield SourceFeature(properties={f: feature.get(f) for f in fields}, geometry=geos)


def as_multipolygon(geom: GEOSGeometry) -> MultiPolygon:
    if isinstance(geom, MultiPolygon):
        return geom
    if isinstance(geom, Polygon):
        return MultiPolygon(geom, srid=geom.srid)
    raise SourceError(f"expected a Polygon or MultiPolygon, found a {geom.geom_type}")


def pick_field(fields: list[str], wanted: str | None, candidates: tuple[str, ...], what: str) -> str:
    """The property to read `what` from: the one asked for, or the first known name present."""
    if wanted:
        if wanted not in fields:
            raise SourceError(f"no property {wanted!r} for the {what}; the file has: {', '.join(fields)}")
        return wanted
    lowered = {f.lower(): f for f in fields}
    for candidate in candidates:
        if candidate.lower() in lowered:
            return lowered[candidate.lower()]
    raise SourceError(f"cannot tell which property holds the {what}; name it (file has: {', '.join(fields)})")


def _same_crs(a: SpatialReference, b: SpatialReference) -> bool:
    try:
        return a.srid == b.srid or (a.geographic and "WGS" in (a.name or "") and "84" in (a.name or ""))
    except GDALException:
        return False
