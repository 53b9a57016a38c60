"""The one `GeoJSON` scalar: geometries cross the API as RFC 7946 objects (longitude first, WGS84).

Output is a JSON object, never a string. Input is a GeoJSON object or a string holding one; it is
checked here (structure, finite coordinates in range, closed rings, validity, vertex budget) so
that what reaches a selector is a valid GEOS geometry in SRID 4326.
"""

import decimal
import json
import math
from typing import Any, NewType

import orjson
import shapely
import strawberry
from django.conf import settings
from django.contrib.gis.geos import GEOSGeometry, Point
from shapely.geometry import shape
from shapely.validation import explain_validity
from strawberry.schema.types.base_scalars import DecimalDefinition

from geoschema.errors import bad_input, limit_exceeded

GEOMETRY_TYPES = {"Point", "MultiPoint", "LineString", "MultiLineString", "Polygon", "MultiPolygon"}


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


def parse_decimal(value: Any) -> decimal.Decimal:
    """Strawberry's Decimal, finite only: "NaN" and "Infinity" are decimals to Python, and compare
    with nothing (quantities, goals, pledges)."""
    number = _STRAWBERRY_DECIMAL(value)
    if not number.is_finite():
        raise bad_input(f'a Decimal must be a finite number such as "12.50", got {value!r}')
    return number


_STRAWBERRY_DECIMAL = DecimalDefinition.parse_value
DECIMAL_SCALAR = strawberry.scalar(
    name="Decimal", description=DecimalDefinition.description, serialize=str, parse_value=parse_decimal
)
