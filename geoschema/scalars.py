"""The one `GeoJSON` scalar: geometries cross the API as RFC 7946 objects (longitude first, WGS84).

Output is a JSON object, never a string. Input is a GeoJSON object or a string holding one; it is
checked here (structure, finite coordinates in range, closed rings, no edge across the
antimeridian, validity, vertex budget) so that what reaches a selector is a valid GEOS geometry in
SRID 4326.

Strawberry's `Decimal` and `DateTime` are narrowed here too, to what the database stores and reads
back: finite decimals in ASCII notation, instants within years 1 to 9999.
"""

import datetime
import decimal
import itertools
import json
import math
import re
from typing import Any, NewType

import orjson
import shapely
import strawberry
from django.conf import settings
from django.contrib.gis.geos import GEOSGeometry, Point
from shapely.geometry import shape
from shapely.validation import explain_validity
from strawberry.schema.types.base_scalars import DateTimeDefinition, DecimalDefinition

from geoschema.errors import bad_input, limit_exceeded

GEOMETRY_TYPES = {"Point", "MultiPoint", "LineString", "MultiLineString", "Polygon", "MultiPolygon"}
WITHOUT_EDGES = {"Point", "MultiPoint"}
# A `crs` member (GeoJSON 2008; RFC 7946 dropped it) that names WGS84 longitude/latitude: CRS84,
# EPSG:4326, as a short name, a URN or an opengis.net URL.
WGS84_NAME = re.compile(
    r"(?:urn:ogc:def:crs:|https?://www\.opengis\.net/def/crs/)?"
    r"(?:OGC(?:[:/][\d.]*)?[:/]{1,2}CRS84|EPSG(?:[:/][\d.]*)?[:/]{1,2}4326)",
    re.IGNORECASE,
)


def geometry_to_geojson(geom: GEOSGeometry | None) -> dict[str, Any] | None:
    if geom is None:
        return None
    if isinstance(geom, Point):  # the common case, kept free of a JSON round trip
        return {"type": "Point", "coordinates": [geom.x, geom.y]}
    return json.loads(geom.json)


def serialize(value: Any) -> dict[str, Any] | None:
    if isinstance(value, GEOSGeometry):
        return geometry_to_geojson(value)
    if isinstance(value, str):
        return json.loads(value)
    return value


def parse(value: Any) -> GEOSGeometry:
    """A client's GeoJSON as a valid GEOS geometry, or a BAD_INPUT / LIMIT_EXCEEDED error."""
    if isinstance(value, str):
        try:
            value = orjson.loads(value)  # nesting bounded, where Python's parser would run out of stack
        except orjson.JSONDecodeError as exc:
            raise bad_input(f"GeoJSON string is not valid JSON: {exc}") from exc
    if not isinstance(value, dict):
        raise bad_input("GeoJSON must be an object such as {type: 'Polygon', coordinates: [...]}")
    if not isinstance(value.get("type"), str) or value["type"] not in GEOMETRY_TYPES:
        raise bad_input(f"GeoJSON type must be one of {', '.join(sorted(GEOMETRY_TYPES))}")
    if "crs" in value and not _names_wgs84(value["crs"]):
        raise bad_input(
            "GeoJSON here is in WGS84 longitude/latitude (RFC 7946), and its crs member names another CRS "
            "(or none that can be read): reproject the geometry first (importBoundaryLayer reads any CRS)"
        )
    vertices = _check_coordinates(value["type"], value.get("coordinates"))
    max_vertices = settings.QUARTIER["MAX_GEOMETRY_VERTICES"]
    if vertices > max_vertices:
        raise limit_exceeded(f"geometry has {vertices} vertices; at most {max_vertices} are accepted")
    try:
        geom = shape(value)
    except (ValueError, TypeError, shapely.errors.GEOSException) as exc:
        raise bad_input(f"GeoJSON geometry cannot be built: {exc}") from exc
    if not geom.is_valid:
        raise bad_input(f"GeoJSON geometry is not valid ({explain_validity(geom)}): fix it before sending")
    return GEOSGeometry(memoryview(geom.wkb), srid=4326)


def _names_wgs84(crs: Any) -> bool:
    """Whether a GeoJSON `crs` member names WGS84 (`{"type": "name", "properties": {"name": "EPSG:4326"}}`)."""
    properties = crs.get("properties") if isinstance(crs, dict) else None
    if not isinstance(properties, dict):
        return False
    if crs.get("type") == "EPSG":
        return properties.get("code") == 4326
    name = properties.get("name")
    return crs.get("type") == "name" and isinstance(name, str) and WGS84_NAME.fullmatch(name.strip()) is not None


def _check_coordinates(kind: str, coordinates: Any) -> int:
    """Walk the nesting that `kind` requires; return the number of positions."""
    depth = {"Point": 0, "MultiPoint": 1, "LineString": 1, "MultiLineString": 2, "Polygon": 2, "MultiPolygon": 3}[kind]

    def walk(node: Any, level: int, where: str) -> int:
        if level == 0:
            _check_position(node, where)
            return 1
        if not isinstance(node, list) or not node:
            raise bad_input(f"GeoJSON {kind} coordinates are wrongly nested at {where}")
        count = sum(walk(child, level - 1, f"{where}[{i}]") for i, child in enumerate(node))
        if kind in ("Polygon", "MultiPolygon") and level == 1:  # a linear ring
            if len(node) < 4:
                raise bad_input(f"ring {where} needs at least 4 positions, has {len(node)}")
            if node[0] != node[-1]:
                raise bad_input(f"ring {where} is not closed: its last position must repeat the first")
        if kind not in WITHOUT_EDGES and level == 1:  # a line or a ring
            _check_edges(node, where)
        return count

    return walk(coordinates, depth, "coordinates")


def _check_position(position: Any, where: str) -> None:
    if not isinstance(position, list) or len(position) not in (2, 3):
        raise bad_input(f"{where} must be a position [longitude, latitude]")
    if not all(isinstance(c, int | float) and not isinstance(c, bool) and _finite(c) for c in position):
        raise bad_input(f"{where} holds a coordinate that is not a finite number")
    if len(position) == 3:
        position.pop()  # RFC 7946 allows an altitude; Quartier is 2D and drops it
    lon, lat = position
    if not -180 <= lon <= 180 or not -90 <= lat <= 90:
        raise bad_input(f"{where} = [{lon}, {lat}] is outside longitude ±180 / latitude ±90 (longitude first)")


def _check_edges(positions: list[list[float]], where: str) -> None:
    """No edge spans more than 180 degrees of longitude. Such an edge is meant to cross the
    antimeridian the short way, and would be read (planar, as PostGIS and GEOS read it) the long
    way round: a small square at the date line becomes a band around the globe. An edge from -180
    to 180 along the antimeridian's two sides (a whole-world bbox, Antarctica) is meant as drawn."""
    for i, (start, end) in enumerate(itertools.pairwise(positions)):
        span = abs(end[0] - start[0])
        if span > 180 and not abs(start[0]) == abs(end[0]) == 180:
            raise bad_input(
                f"the edge from {where}[{i}] = {start} to {where}[{i + 1}] = {end} spans {span:g} degrees of "
                "longitude, and would be read the long way round the globe: split the geometry at the "
                "antimeridian (RFC 7946 3.1.9), for example into a MultiPolygon with a part on each side of it"
            )


def _finite(number: int | float) -> bool:
    try:
        return math.isfinite(number)
    except OverflowError:  # an integer of hundreds of digits (JSON has no bound; Python reads it exactly)
        return False


GeoJSON = NewType("GeoJSON", object)

GEOJSON_SCALAR = strawberry.scalar(
    name="GeoJSON",
    description=(
        "A GeoJSON geometry object (RFC 7946: WGS84, longitude first). A string holding one is accepted as input."
    ),
    specified_by_url="https://www.rfc-editor.org/rfc/rfc7946",
    serialize=serialize,
    parse_value=parse,
)


# What Python's Decimal reads and the API takes: an optional sign, ASCII digits, an optional
# fraction and exponent. Python also reads other scripts' digits ("١"), underscores ("1_0"),
# surrounding spaces, "NaN" and "Infinity"; a client sending those has made a mistake.
DECIMAL_NOTATION = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")


def parse_decimal(value: Any) -> decimal.Decimal:
    """Strawberry's Decimal, narrowed to a finite number: a string in ASCII decimal notation, or a
    JSON number (quantities, goals, pledges)."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        text = str(value)  # a float's shortest repr: 0.1 is read as 0.1, as Strawberry's Decimal does
    elif isinstance(value, str) and DECIMAL_NOTATION.fullmatch(value):
        text = value
    else:
        text = None
    try:
        number = decimal.Decimal(text) if text is not None else None
    except decimal.DecimalException:  # an exponent past what Python holds
        number = None
    if number is None or not number.is_finite():
        raise bad_input(
            "a Decimal must be a finite number: a JSON number, or a string in ASCII decimal notation such as "
            f'"12.50" or "-1.5e3" (no spaces, underscores or digits of other scripts), got {value!r}'
        )
    return number


DECIMAL_SCALAR = strawberry.scalar(
    name="Decimal", description=DecimalDefinition.description, serialize=str, parse_value=parse_decimal
)


def parse_datetime(value: Any) -> datetime.datetime:
    """Strawberry's DateTime (the same ISO 8601 forms), narrowed to an instant within years 1 to
    9999 in UTC: PostgreSQL would store "9999-12-31T20:00-12:00" as year 10000, which no Python
    datetime holds, and every list that reads it back would fail. A datetime without an offset is
    read in UTC, as Django stores it (TIME_ZONE), so it compares with one that has an offset."""
    try:
        moment = _STRAWBERRY_DATETIME(value)
        if moment.utcoffset() is None:
            return moment.replace(tzinfo=datetime.UTC)
        moment.astimezone(datetime.UTC)
    except OverflowError:  # past a Python datetime's years, in UTC or as written ("9999-12-31T24:00")
        raise bad_input(
            f"a DateTime must fall within years 1 to 9999, both as written and in UTC, and {value!r} does not: "
            "give a time within them (in UTC, ending in Z, if it is near either end)"
        ) from None
    return moment


_STRAWBERRY_DATETIME = DateTimeDefinition.parse_value
DATETIME_SCALAR = strawberry.scalar(
    name="DateTime",
    description=DateTimeDefinition.description,
    serialize=DateTimeDefinition.serialize,
    parse_value=parse_datetime,
)
