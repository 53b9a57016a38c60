"""Reading geodata files through GeoDjango's GDAL layer: GeoJSON, Shapefile (also zipped),
GeoPackage, in any CRS that GDAL knows, handed back as GEOS geometries in WGS84."""

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import shapely
from django.contrib.gis.gdal import CoordTransform, DataSource, GDALException, SpatialReference
from django.contrib.gis.geos import GEOSException, GEOSGeometry, MultiPolygon, Polygon

WGS84 = SpatialReference(4326)
# Two vertices this close to opposite ends of a diameter have no single shortest edge between
# them: PostGIS refuses the geography ("Antipodal (180 degrees long) edge detected!").
ANTIPODAL_TOLERANCE = 1e-9


class SourceError(ValueError):
    """A file that cannot be read as the geodata asked for, or whose content cannot be imported."""


@dataclass
class SourceFeature:
    """One feature of a file: its properties and its geometry in WGS84 (None when it has none)."""

    index: int  # its position in the file, from 0 (features[index] of a GeoJSON FeatureCollection)
    properties: dict[str, Any]
    geometry: GEOSGeometry | None


def open_layer(path: str | Path, layer: str | int = 0):
    """The GDAL layer of a file; a .zip is read through GDAL's /vsizip/."""
    name = str(path)
    if name.lower().endswith(".zip") and not name.startswith("/vsizip/"):
        name = f"/vsizip/{name}"
    try:
        return DataSource(name)[layer]
    except (GDALException, IndexError) as exc:
        raise SourceError(f"cannot read {path}: {exc}") from exc


def read_features(gdal_layer, *, srid: int | None = None, without_geometry: bool = False) -> Iterator[SourceFeature]:
    """Every feature with a geometry, reprojected to WGS84 (from the file's CRS, or `srid`); with
    `without_geometry`, those without one too (geometry None), for a caller that refuses them."""
    source_srs = SpatialReference(srid) if srid else (gdal_layer.srs or WGS84)
    transform = None if _same_crs(source_srs, WGS84) else CoordTransform(source_srs, WGS84)
    fields = gdal_layer.fields
    for index, feature in enumerate(gdal_layer):
        properties = {f: feature.get(f) for f in fields}
        try:
            geom = feature.geom
        except GDALException:  # a null geometry pointer: `"geometry": null`, or a row without one
            if without_geometry:
                yield SourceFeature(index=index, properties=properties, geometry=None)
            continue
        try:
            geom.set_3d(False)
            if transform is not None:
                geom.transform(transform)
            geos = geom.geos
        except (GDALException, GEOSException) as exc:
            raise SourceError(f"features[{index}]: its geometry cannot be read in WGS84 ({exc})") from exc
        geos.srid = 4326
        yield SourceFeature(index=index, properties=properties, geometry=geos)


def as_multipolygon(geom: GEOSGeometry) -> MultiPolygon:
    if isinstance(geom, MultiPolygon):
        return geom
    if isinstance(geom, Polygon):
        return MultiPolygon(geom, srid=geom.srid)
    raise SourceError(f"expected a Polygon or MultiPolygon, found a {geom.geom_type}")


def wgs84_problem(geom: GEOSGeometry) -> str | None:
    """What keeps `geom` from being stored as WGS84 and measured on the globe, or None: a
    coordinate that is not finite or out of range (longitude ±180, latitude ±90: a wrong CRS,
    or latitude first), or an edge between antipodal points (a whole-world rectangle)."""
    shape = shapely.from_wkb(bytes(geom.wkb))
    if shape.is_empty:
        return "its geometry is empty"
    coordinates = shapely.get_coordinates(shape)
    if not np.isfinite(coordinates).all():
        return "its geometry holds a coordinate that is not a finite number"
    lon, lat = coordinates[:, 0], coordinates[:, 1]
    if (np.abs(lon) > 180).any() or (np.abs(lat) > 90).any():
        lon_min, lat_min, lon_max, lat_max = shape.bounds
        return (
            f"its coordinates span longitude {lon_min:g}..{lon_max:g} and latitude {lat_min:g}..{lat_max:g}, "
            "outside longitude ±180 / latitude ±90 (longitude first; is the CRS right?)"
        )
    edge = _antipodal_edge(shape)
    if edge is not None:
        start, end = ([round(float(c), 9) for c in point] for point in edge)
        return (
            f"its edge from {start} to {end} joins opposite points of the globe, which have no single "
            "shortest path between them: add vertices along it (a layer cannot cover the whole world)"
        )
    return None


def _antipodal_edge(shape) -> tuple[np.ndarray, np.ndarray] | None:
    """The first edge of a ring of `shape` (a Polygon or MultiPolygon) whose ends are antipodal on
    the sphere, if any."""
    coordinates, ring = shapely.get_coordinates(shapely.get_rings(shapely.get_parts(shape)), return_index=True)
    lon, lat = np.radians(coordinates[:, 0]), np.radians(coordinates[:, 1])
    unit = np.column_stack((np.cos(lat) * np.cos(lon), np.cos(lat) * np.sin(lon), np.sin(lat)))
    antipodal = (np.abs(unit[:-1] + unit[1:]) <= ANTIPODAL_TOLERANCE).all(axis=1) & (ring[:-1] == ring[1:])
    if not antipodal.any():
        return None
    first = int(np.argmax(antipodal))
    return coordinates[first], coordinates[first + 1]


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
