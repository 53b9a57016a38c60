"""Downloads for analysts: `/exports/<dataset>.<geojson|csv>`, streamed from the database in
chunks (keyset pagination on id), so an export of any size never sits in memory whole.

Datasets: offers, needs, projects, points-of-interest (filters: bbox=W,S,E,N, near=LON,LAT,METRES,
district=<District id>, and for offers and needs kinds=A,B) and area-stats (layer=<slug>, from=,
to=). A filter the dataset does not take, a filter given twice or empty (but for kinds), or an
unknown kind, is a BAD_INPUT error: never a file quietly filtered otherwise than asked. Any other
path under /exports/ is NOT_FOUND, as JSON like every error of the API. Each download names the
attribution and licence of the layers it involves. Places are public locations (a person's as
coarse as they chose), never exact ones. A CSV text cell that a spreadsheet would run as a formula
is written as text.
"""

import csv
import io
import json
from collections.abc import AsyncIterator, Callable
from datetime import datetime

from asgiref.sync import sync_to_async
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.views.decorators.csrf import csrf_exempt
from strawberry.relay import GlobalID

from accounts.permissions import only_visible, seen_communities, visible_layers
from geoschema.errors import Code, bad_input, check_parameters, http_endpoint, http_error, not_found
from offers import selectors as offer_selectors
from offers.models import HelpKind
from offers.stats import COUNTS, area_stats
from places import selectors as place_selectors
from places.geo import Latitude, Longitude
from places.graphql.inputs import BBoxInput, NearInput, PointInput, SpatialFilter
from places.models import BoundaryLayer
from places.selectors import SpatialQuery, located_filter

CHUNK = 2000
QUARTIER_DATA = ("Quartier contributors", "ODbL-1.0")
LOCATED = {
    "offers": (
        lambda kinds: offer_selectors.offers(kinds=kinds),
        ["title", "kind", "categories", "quantity", "unit", "status"],
    ),
    "needs": (
        lambda kinds: offer_selectors.needs(kinds=kinds),
        ["title", "kind", "categories", "quantity", "unit", "status"],
    ),
    "projects": (lambda kinds: offer_selectors.projects(), ["title", "status", "funding_goal"]),
    "points-of-interest": (
        lambda kinds: place_selectors.points_of_interest(),
        ["name", "categories", "address", "wheelchair"],
    ),
}
SPATIAL_FILTERS = ("bbox", "near", "district")
FILTERS = {
    "offers": (*SPATIAL_FILTERS, "kinds"),
    "needs": (*SPATIAL_FILTERS, "kinds"),
    "projects": SPATIAL_FILTERS,
    "points-of-interest": SPATIAL_FILTERS,
    "area-stats": ("layer", "from", "to"),
}
FORMATS = ("geojson", "csv")
PATHS = f"/exports/<dataset>.<{'|'.join(FORMATS)}>, dataset one of {', '.join(FILTERS)}"


@http_endpoint
def export(request: HttpRequest, dataset: str, fmt: str) -> HttpResponse:
    if dataset not in FILTERS:
        raise not_found(f"no export {dataset!r}: {', '.join(FILTERS)}")
    check_parameters(request, FILTERS[dataset], f"{dataset} exports")
    if dataset == "area-stats":
        layer = _layer(request)
        rows, fields, layers = _area_stat_rows(request, layer), ["code", "name", *COUNTS], [layer]
    else:
        rows, fields, layers = _located_rows(request, dataset)
    first = rows(0)  # before answering 200: a bad filter or an outage still gets its own status
    attribution = "; ".join(sorted({QUARTIER_DATA[0], *(layer.attribution for layer in layers if layer.attribution)}))
    licence = "; ".join(sorted({QUARTIER_DATA[1], *(layer.licence for layer in layers if layer.licence)}))
    stream = _geojson(rows, first, attribution, licence) if fmt == "geojson" else _csv(rows, first, fields)
    response = StreamingHttpResponse(
        stream, content_type="application/geo+json" if fmt == "geojson" else "text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="{dataset}.{fmt}"'
    response["X-Attribution"] = _header_value(attribution)
    response["X-Licence"] = _header_value(licence)
    return response


@csrf_exempt
def no_export(request: HttpRequest) -> HttpResponse:
    """Any other path under /exports/: NOT_FOUND, saying what the exports' paths are."""
    return http_error(Code.NOT_FOUND, f"no export at {request.path}: exports are {PATHS}")


def _header_value(text: str) -> str:
    """Partners' text as an HTTP header can carry it: one line, Latin-1 (the full text is in the file)."""
    one_line = " ".join(text.split())
    return one_line.encode("latin-1", "replace").decode("latin-1")


def _kinds(request: HttpRequest) -> list[str] | None:
    kinds = [k.strip() for k in request.GET.get("kinds", "").split(",") if k.strip()]
    if unknown := set(kinds) - set(HelpKind.values):
        raise bad_input(f"unknown kinds {sorted(unknown)}: {', '.join(HelpKind.values)}")
    return kinds or None


def _layer(request: HttpRequest) -> BoundaryLayer:
    slug = request.GET.get("layer")
    if not slug:
        raise bad_input("layer=<slug> is required")
    layer = place_selectors.layer_by_slug(slug, visible=visible_layers(request.user))
    if layer is None:
        raise not_found(f"no boundary layer {slug!r}: the `layers` query lists them")
    return layer


def _floats(request: HttpRequest, name: str, count: int) -> list[float] | None:
    raw = request.GET.get(name)
    if raw is None:
        return None
    try:
        values = [float(part) for part in raw.split(",")]
    except ValueError as exc:
        raise bad_input(f"{name} takes {count} numbers separated by commas") from exc
    if len(values) != count:
        raise bad_input(f"{name} takes {count} numbers separated by commas")
    return values


def _spatial(request: HttpRequest) -> tuple[SpatialQuery, list[BoundaryLayer]]:
    """The same spatial filter as the API's, from query parameters, with the same checks."""
    near, box, district = _floats(request, "near", 3), _floats(request, "bbox", 4), request.GET.get("district")
    spatial = SpatialFilter(
        near=NearInput(point=PointInput(longitude=near[0], latitude=near[1]), radius_meters=near[2]) if near else None,
        bbox=BBoxInput(west=box[0], south=box[1], east=box[2], north=box[3]) if box else None,
        within_district=_global_id(district) if district is not None else None,
    )
    query = spatial.to_query(request.user)
    return query, [query.district.layer] if query.district is not None else []


def _global_id(value: str) -> GlobalID:
    try:
        return GlobalID.from_id(value)
    except Exception as exc:  # noqa: BLE001 - any undecodable id is the client's mistake
        raise bad_input("district must be the id of a District") from exc


def _located_rows(request: HttpRequest, dataset: str):
    make, fields = LOCATED[dataset]
    kinds = _kinds(request)
    spatial, layers = _spatial(request)
    source = make(kinds)
    if dataset != "points-of-interest":
        source = only_visible(source, request)
    queryset = located_filter(source, spatial).annotate(
        lon=Longitude("public_location"), lat=Latitude("public_location")
    )
    columns = ["id", "lon", "lat", *fields] + (["distance_meters"] if spatial.point is not None else [])
    type_name = {"points-of-interest": "PointOfInterest"}.get(dataset, dataset[:-1].capitalize())

    def rows(after: int) -> list[dict]:
        chunk = list(queryset.filter(id__gt=after).order_by("id").values(*columns)[:CHUNK])
        for row in chunk:
            row["_pk"] = row["id"]
            row["id"] = str(GlobalID(type_name, str(row["id"])))
        return chunk

    return rows, columns, layers


def _area_stat_rows(request: HttpRequest, layer: BoundaryLayer) -> Callable[[int], list[dict]]:
    start, end = (_datetime(request, name) for name in ("from", "to"))
    if start is not None and end is not None and start > end:
        raise bad_input("'from' must not be after 'to'")
    staff = request.user.is_staff
    communities = seen_communities(request)

    def rows(after: int) -> list[dict]:
        if after:
            return []  # one query gives every district of a layer
        stats = area_stats(
            layer=layer, start=start, end=end, staff=staff, communities=communities, with_geometry=True, simplify_m=10
        )
        return [
            {
                "_pk": 1,
                "id": str(GlobalID("District", str(s.district_id))),
                "code": s.code,
                "name": s.name,
                "geometry": s.geometry,
                **{name: getattr(s, name) for name in COUNTS},
            }
            for s in stats
        ]

    return rows


def _datetime(request: HttpRequest, name: str) -> datetime | None:
    raw = request.GET.get(name)
    if raw is None:
        return None
    try:
        value = parse_datetime(raw)
    except ValueError:  # well formed but no such moment: 2026-02-30T00:00
        value = None
    if value is None:
        raise bad_input(f"{name} must be an ISO 8601 date and time, such as 2026-01-01T00:00:00Z")
    # Without an offset, in the server's zone, as the database reads it; and comparable with `to`.
    return timezone.make_aware(value) if timezone.is_naive(value) else value


async def _chunks(rows: Callable[[int], list[dict]], first: list[dict]) -> AsyncIterator[list[dict]]:
    chunk = first
    while chunk:
        yield chunk
        chunk = await sync_to_async(rows)(chunk[-1]["_pk"])


def _properties(row: dict) -> dict:
    return {k: _plain(v) for k, v in row.items() if k not in ("_pk", "lon", "lat", "geometry")}


def _plain(value):
    if isinstance(value, datetime):
        return value.isoformat()
    if hasattr(value, "as_tuple"):  # Decimal
        return str(value)
    return value


async def _geojson(rows, first: list[dict], attribution: str, licence: str) -> AsyncIterator[str]:
    head = {"type": "FeatureCollection", "attribution": attribution, "licence": licence}
    yield json.dumps(head)[:-1] + ', "features": ['
    separator = ""
    async for chunk in _chunks(rows, first):
        parts = []
        for row in chunk:
            geometry = row.get("geometry") or {"type": "Point", "coordinates": [row["lon"], row["lat"]]}
            feature = {"type": "Feature", "id": row["id"], "geometry": geometry, "properties": _properties(row)}
            parts.append(separator + json.dumps(feature, ensure_ascii=False))
            separator = ","
        yield "".join(parts)
    yield "]}\n"


async def _csv(rows, first: list[dict], fields: list[str]) -> AsyncIterator[str]:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(fields)
    async for chunk in _chunks(rows, first):
        for row in chunk:
            writer.writerow([_csv_value(row.get(name)) for name in fields])
        yield buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
    yield buffer.getvalue()


# A spreadsheet opening a CSV runs a cell that starts with one of these as a formula
# (`=HYPERLINK(...)` in a title someone posted): such a text cell is written after an apostrophe,
# which spreadsheets show as text (OWASP's advice on CSV injection). Numbers are written as they are.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _csv_value(value):
    if isinstance(value, list):
        value = ";".join(str(v) for v in value)
    value = "" if value is None else _plain(value)
    return f"'{value}" if isinstance(value, str) and value.startswith(FORMULA_STARTS) else value
