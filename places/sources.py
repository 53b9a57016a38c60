"""Reading geodata files through GeoDjango's GDAL layer: GeoJSON, Shapefile (also zipped),
GeoPackage, in any CRS that GDAL knows, handed back as GEOS geometries in WGS84."""

import itertools
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import shapely
from django.contrib.gis.gdal import CoordTransform, DataSource, GDALException, SpatialReference
from django.contrib.gis.gdal import geometries as ogr
from django.contrib.gis.gdal.error import SRSException
from django.contrib.gis.gdal.field import (
    OFTInteger64List,
    OFTIntegerList,
    OFTRealList,
    OFTStringList,
    OFTWideStringList,
)
from django.contrib.gis.geos import GEOSException, GEOSGeometry, MultiPolygon, Polygon

WGS84 = SpatialReference(4326)
# Two vertices this close to opposite ends of a diameter have no single shortest edge between
# them: PostGIS refuses the geography ("Antipodal (180 degrees long) edge detected!").
ANTIPODAL_TOLERANCE = 1e-9
# A polygon whose mean width (twice its area over its perimeter) is below this many degrees, about
# 0.1 mm, encloses no area: its points lie on one line or repeat, give or take rounding. Stored, it
# would hold no point, and ST_MakeValid (layer_refresh) would turn it into a line, then nothing.
DEGENERATE_WIDTH = 1e-9
# The names of a CRS in a GeoJSON `crs` member that GDAL reads: EPSG:2950, urn:ogc:def:crs:EPSG::2950,
# urn:ogc:def:crs:OGC:1.3:CRS84, http://www.opengis.net/def/crs/EPSG/0/2950.
CRS_NAME = re.compile(
    r"(?:urn:ogc:def:crs:|https?://www\.opengis\.net/def/crs/)?(?P<authority>EPSG|OGC|ESRI|IAU_2015)"
    r"(?:[:/][\d.]*)?[:/]{1,2}(?P<code>[A-Za-z0-9_]{1,20})",
    re.IGNORECASE,
)
# What each kind of file must be, for a message about one that GDAL cannot open.
EXPECTED = {
    ".zip": "a .zip must hold one Shapefile (its .shp, .shx and .dbf, and .prj for its CRS), GeoPackage or GeoJSON",
    ".gpkg": "it is not a GeoPackage",
    ".geojson": "it is not GeoJSON (a FeatureCollection whose features are Feature objects)",
    ".json": "it is not GeoJSON (a FeatureCollection whose features are Feature objects)",
}

# GDAL reads a GeoJSON property holding arrays of one type as a list field (whose text is "(2:a,b)":
# a text beside them then reads as a list of one), and any other object or array as its JSON text,
# in a text field whose subtype says JSON only when no plain text came first.
LIST_FIELDS = (OFTIntegerList, OFTRealList, OFTStringList, OFTWideStringList, OFTInteger64List)


class SourceError(ValueError):
    """A file that cannot be read as the geodata asked for, or whose content cannot be imported."""


@dataclass
class SourceFeature:
    """One feature of a file: its properties and its geometry in WGS84 (None when it has none)."""

    index: int  # its position in the file, from 0 (features[index] of a GeoJSON FeatureCollection)
    properties: dict[str, Any]
    geometry: GEOSGeometry | None
    problem: str | None = None  # why its geometry cannot be read (geometry None), for the caller to raise
    # Its properties whose value is an object or an array (given as GDAL's text of it).
    structured: frozenset[str] = frozenset()

    def label(self, key: str = "code", value: str | None = None) -> str:
        """How a message names the feature: `features[3]`, or `features[3] (code 'B')`."""
        return f"features[{self.index}]" + (f" ({key} {value!r})" if value else "")


def open_layer(path: str | Path, layer: str | int = 0, *, label: str | None = None):
    """The GDAL layer of a file; a .zip is read through GDAL's /vsizip/. Messages call the file
    `label` (its path by default) and never repeat GDAL's, which name the path: an upload's is a
    server's temporary file."""
    label = label or str(path)
    name = str(path)
    suffix = Path(name).suffix.lower()
    if suffix == ".zip" and not name.startswith("/vsizip/"):
        name = f"/vsizip/{name}"
    if not name.startswith("/vsi"):
        if not Path(name).is_file():
            raise SourceError(f"{label}: no such file")
        if Path(name).stat().st_size == 0:
            raise SourceError(f"{label} is empty")
    try:
        source = DataSource(name)
    except GDALException as exc:
        expected = EXPECTED.get(suffix, "it is not a GeoJSON, Shapefile or GeoPackage file")
        raise SourceError(f"{label} cannot be read as geodata: {expected}") from exc
    if source.layer_count == 0:
        raise SourceError(f"{label} holds no layer of features")
    try:
        return source[layer]
    except (GDALException, IndexError) as exc:
        names = ", ".join(repr(each.name) for each in source)
        raise SourceError(f"{label} has no layer {layer!r}; its layers: {names}") from exc


def read_features(gdal_layer, *, srid: int | None = None, without_geometry: bool = False) -> Iterator[SourceFeature]:
    """Every feature with a geometry, reprojected to WGS84 (from the file's CRS, or `srid`); with
    `without_geometry`, those without one too (geometry None), for a caller that refuses them.
    A feature whose geometry cannot be read comes with its `problem` (and geometry None)."""
    transform = _transform_to_wgs84(gdal_layer.srs, srid)
    fields = gdal_layer.fields
    lists = {name for name, kind in zip(fields, gdal_layer.field_types, strict=True) if kind in LIST_FIELDS}
    features = iter(gdal_layer)
    for index in itertools.count():
        try:  # a corrupt file can announce more features than it holds, or hold an unreadable one
            feature = next(features)
            properties = {f: feature.get(f) for f in fields}
        except StopIteration:
            return
        except (GDALException, UnicodeDecodeError) as exc:
            raise SourceError(f"features[{index}] cannot be read ({exc})") from exc
        structured = frozenset(
            name
            for name, value in properties.items()
            if value is not None and (name in lists or _is_json_container(value))
        )
        try:
            geom = feature.geom
        except GDALException:  # a null geometry pointer: `"geometry": null`, or a row without one
            if without_geometry:
                yield SourceFeature(index=index, properties=properties, geometry=None, structured=structured)
            continue
        problem = _ring_problem(geom)
        if problem is not None:
            yield SourceFeature(
                index=index, properties=properties, geometry=None, problem=problem, structured=structured
            )
            continue
        try:
            geom.set_3d(False)
            if transform is not None:
                geom.transform(transform)
            geos = geom.geos
        except (GDALException, GEOSException) as exc:
            problem = f"its geometry cannot be read in WGS84 ({exc})"
            yield SourceFeature(
                index=index, properties=properties, geometry=None, problem=problem, structured=structured
            )
            continue
        geos.srid = 4326
        yield SourceFeature(index=index, properties=properties, geometry=geos, structured=structured)


def _is_json_container(value: Any) -> bool:
    """Whether a property's value is GDAL's JSON text of an object or an array."""
    if not isinstance(value, str) or value.lstrip()[:1] not in ("{", "["):
        return False
    try:
        return isinstance(json.loads(value), dict | list)
    except (ValueError, RecursionError):
        return False


def _transform_to_wgs84(file_srs: SpatialReference | None, srid: int | None) -> CoordTransform | None:
    """How to bring coordinates to WGS84 (None: they are) from `srid`, or else from the file's CRS
    (WGS84 when it says none); SourceError for a CRS that is not one of longitude/latitude or of a
    map projection (vertical, geocentric, local, another planet's)."""
    what = f"EPSG:{srid}" if srid else "the file's CRS"
    try:
        source_srs = SpatialReference(srid) if srid else (file_srs or WGS84)
    except (GDALException, SRSException) as exc:
        raise SourceError(f"{what} is not a CRS GDAL knows") from exc
    if _same_crs(source_srs, WGS84):
        return None
    if source_srs.name or (source_srs.srid and not srid):
        what = f"{what} ({source_srs.name or f'EPSG:{source_srs.srid}'})"
    if not (source_srs.geographic or source_srs.projected):
        raise SourceError(f"{what} is neither longitude/latitude nor a map projection: give the data's CRS")
    try:
        return CoordTransform(source_srs, WGS84)
    except (GDALException, SRSException) as exc:
        raise SourceError(f"{what} cannot be converted to WGS84 longitude/latitude") from exc


def _ring_problem(geom) -> str | None:
    """What keeps the rings of a GDAL Polygon or MultiPolygon from being read, or None: each needs
    4 positions or more, the last one repeating the first (GEOS refuses others, or reads 3 as a
    ring that encloses nothing)."""
    if type(geom) is ogr.MultiPolygon:
        polygons = list(geom)
    elif type(geom) is ogr.Polygon:
        polygons = [geom]
    else:
        return None
    for number, polygon in enumerate(polygons, start=1):
        which = "its polygon" if len(polygons) == 1 else f"its polygon {number}"
        for ring in polygon:
            count = ring.point_count
            if count < 4:
                return f"{which} has a ring of {count} positions; a ring needs 4 or more, the last repeating the first"
            if ring[0] != ring[count - 1]:
                return f"{which} has a ring that does not close: its last position must repeat its first"
    return None


def as_multipolygon(geom: GEOSGeometry) -> MultiPolygon:
    """The geometry as a MultiPolygon, without its empty parts; SourceError for another type."""
    if isinstance(geom, MultiPolygon):
        if any(part.empty for part in geom) and not geom.empty:
            return MultiPolygon([part for part in geom if not part.empty], srid=geom.srid)
        return geom
    if isinstance(geom, Polygon):
        return MultiPolygon(geom, srid=geom.srid)
    raise SourceError(f"expected a Polygon or MultiPolygon, found a {geom.geom_type}")


def wgs84_problem(geom: GEOSGeometry) -> str | None:
    """What keeps `geom` from being stored as WGS84 and measured on the globe, or None: a
    coordinate that is not finite or out of range (longitude ±180, latitude ±90: a wrong CRS,
    or latitude first), or an edge between antipodal points (a whole-world rectangle)."""
    if geom.empty:  # GDAL reads a point with a coordinate that is not a number (NaN) as an empty one
        return "its geometry is empty: no coordinates, or ones that are not numbers"
    with np.errstate(invalid="ignore"):  # NaN coordinates: found just below
        shape = shapely.from_wkb(bytes(geom.wkb))
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


def polygon_problem(geom: GEOSGeometry) -> str | None:
    """What keeps a Polygon or MultiPolygon from being a district's area, or None: an edge that
    crosses the antimeridian, or no area enclosed (its points on one line, or repeated), even once
    repaired as layer_refresh repairs it. Invalid polygons that enclose an area (self-intersections,
    bow-ties, spikes, a part reduced to a line beside parts that are not: Montreal's Saint-Henri)
    are repaired, losing no area."""
    shape = shapely.from_wkb(bytes(geom.wkb))
    edge = _antimeridian_edge(shape)
    if edge is not None:
        start, end = ([round(float(c), 9) for c in point] for point in edge)
        return (
            f"its edge from {start} to {end} spans {abs(end[0] - start[0]):g} degrees of longitude, the long "
            "way round the globe on a map but the short way across the antimeridian on the sphere: split the "
            "geometry at the antimeridian (longitude ±180) into parts that each stay on one side of it "
            "(RFC 7946 section 3.1.9)"
        )
    repaired = shape if shape.is_valid else shapely.make_valid(shape)
    polygonal = [p for p in shapely.get_parts(repaired) if p.geom_type in ("Polygon", "MultiPolygon")]
    area, perimeter = sum(p.area for p in polygonal), sum(p.length for p in polygonal)
    if area == 0 or 2 * area / perimeter < DEGENERATE_WIDTH:
        if shapely.get_num_geometries(shape) > 1:
            return "none of its polygons encloses an area: their points lie on one line or repeat"
        return "its polygon encloses no area: its points lie on one line or repeat"
    return None


def _antimeridian_edge(shape) -> tuple[np.ndarray, np.ndarray] | None:
    """The first edge of a ring of `shape` (a Polygon or MultiPolygon) whose ends are more than 180
    degrees of longitude apart, if any. PostGIS measures such an edge as geography across the
    antimeridian but tests points against it as geometry, across the rest of the world: the
    district's area and its membership would disagree."""
    coordinates, ring = shapely.get_coordinates(shapely.get_rings(shapely.get_parts(shape)), return_index=True)
    crossing = (np.abs(np.diff(coordinates[:, 0])) > 180) & (ring[:-1] == ring[1:])
    if not crossing.any():
        return None
    first = int(np.argmax(crossing))
    return coordinates[first], coordinates[first + 1]


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


def geojson_problem(document: Any, *, with_crs: bool = True) -> str | None:
    """What keeps a parsed GeoJSON document from being read as the features it holds, or None: GDAL
    skips the members of `features` that are not Feature objects (which shifts every features[i]
    after them), cuts texts at a NUL character, and reads a `crs` member it does not understand
    as WGS84. `with_crs=False` when the caller names the CRS itself, which overrides the member."""
    if isinstance(document, dict) and document.get("type") == "Feature":
        document = {"type": "FeatureCollection", "features": [document], "crs": document.get("crs")}
    if not isinstance(document, dict) or document.get("type") != "FeatureCollection":
        return "it must be a GeoJSON FeatureCollection"
    features = document.get("features")
    if not isinstance(features, list):
        return "its `features` must be a list of Feature objects"
    for index, feature in enumerate(features):
        if not isinstance(feature, dict) or feature.get("type") != "Feature":
            return f"features[{index}] is not a Feature object"
        if not isinstance(feature.get("properties"), dict | None):
            return f"features[{index}]: its properties must be an object (or null)"
        if not isinstance(feature.get("geometry"), dict | None):
            return f"features[{index}]: its geometry must be a GeoJSON geometry object (or null)"
        for key, value in (feature.get("properties") or {}).items():  # GDAL would cut the text there
            if "\x00" in key or (isinstance(value, str) and "\x00" in value):
                return f"features[{index}]: its property {key[:80]!r} holds a NUL character"
    return _crs_member_problem(document.get("crs")) if with_crs else None


def _crs_member_problem(crs: Any) -> str | None:
    """What keeps a GeoJSON `crs` member (GeoJSON 2008; RFC 7946 has none: WGS84) from naming a CRS
    GDAL knows, or None."""
    if crs is None:
        return None
    how = 'name it as {"type": "name", "properties": {"name": "EPSG:2950"}}, or give it as `crs`'
    properties = crs.get("properties") if isinstance(crs, dict) else None
    if not isinstance(properties, dict):
        return f"its crs member is not a named CRS: {how}"
    if crs.get("type") == "EPSG" and isinstance(properties.get("code"), int):
        name = f"EPSG:{properties['code']}"
    elif crs.get("type") == "name" and isinstance(properties.get("name"), str):
        name = properties["name"]
    else:
        return f"its crs member is not a named CRS: {how}"
    match = CRS_NAME.fullmatch(name.strip())
    if match is None:
        return f"its crs member names {name[:100]!r}, not an authority and code like EPSG:2950: {how}"
    try:  # only AUTHORITY:CODE reaches GDAL here: never a path, a URL or a PROJ string
        SpatialReference(f"{match['authority'].upper()}:{match['code']}")
    except (GDALException, SRSException):
        return f"its crs member names {name!r}, which is not a CRS GDAL knows"
    return None


def pick_field(fields: list[str], wanted: str | None, candidates: tuple[str, ...], what: str) -> str:
    """The property to read `what` from: the one asked for, or the first known name present."""
    has = f"the file has: {', '.join(fields)}" if fields else "the features of the file have no properties"
    if wanted:
        if wanted not in fields:
            raise SourceError(f"no property {wanted!r} for the {what}; {has}")
        return wanted
    lowered = {f.lower(): f for f in fields}
    for candidate in candidates:
        if candidate.lower() in lowered:
            return lowered[candidate.lower()]
    raise SourceError(f"cannot tell which property holds the {what}; name it ({has})")


def _same_crs(a: SpatialReference, b: SpatialReference) -> bool:
    try:
        return a.srid == b.srid or (a.geographic and "WGS" in (a.name or "") and "84" in (a.name or ""))
    except GDALException:
        return False
