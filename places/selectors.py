"""Reads on places, and the spatial filter that every located list shares.

Each test is written the way PostGIS can answer it from an index:
- every test is on `public_location` (what the caller may see), so no filter can place a person
  more exactly than the precision they chose;
- near: the index's box test on the geography point (GiST), then the spheroid distance;
- nearest first: the KNN operator `<->` bounds the candidates, then the exact spheroid distance
  orders them (see geoschema.pagination), ties by id;
- inside a district: the district assignments kept on write (an indexed join);
- inside a polygon or a viewport: planar tests on `location::geometry` (GiST on that expression),
  the way a map draws them; in a viewport, the index's box test and then the coordinates compared.
"""

from dataclasses import dataclass

from django.contrib.gis.db.models import GeometryField
from django.contrib.gis.geos import GEOSGeometry, Point, Polygon
from django.contrib.gis.measure import D
from django.db import connection
from django.db.models import QuerySet

from places.geo import AsGeography, AsGeometry, DistanceTo, Latitude, Longitude, NearBox, PointOnSurface, WithinMeters
from places.models import BoundaryLayer, Building, District, Organisation, PointOfInterest


@dataclass(frozen=True)
class SpatialQuery:
    """A checked spatial filter: all parts given are combined with AND."""

    point: Point | None = None
    radius_m: float | None = None
    district: District | None = None
    geometry: GEOSGeometry | None = None
    bbox: Polygon | None = None


def located_filter(queryset: QuerySet, spatial: SpatialQuery | None, *, by_distance: bool = False) -> QuerySet:
    """Filter any located queryset by `spatial`; with a point, annotate `distance_meters`
    (spheroid, metres) and, if `by_distance`, order nearest first with ties by id."""
    if spatial is None:
        return queryset
    if spatial.point is not None:
        queryset = within_radius(queryset, spatial.point, spatial.radius_m)
        if by_distance:
            queryset = queryset.order_by("distance_meters", "id")
    if spatial.district is not None:
        queryset = queryset.filter(districts=spatial.district)
    planar = AsGeometry("public_location")
    if spatial.geometry is not None:
        queryset = queryset.alias(_planar=planar).filter(_planar__intersects=spatial.geometry)
    if spatial.bbox is not None:
        # A point is in a rectangle when its coordinates are: what ST_Intersects answers, exactly, at
        # a fraction of its cost on thousands of points. The box test (&&) lets the index find them.
        west, south, east, north = spatial.bbox.extent
        queryset = queryset.alias(
            _planar=planar, _x=Longitude("public_location"), _y=Latitude("public_location")
        ).filter(_planar__bboverlaps=spatial.bbox, _x__range=(west, east), _y__range=(south, north))
    return queryset


def within_radius(queryset: QuerySet, point: Point, radius_m: float) -> QuerySet:
    """Rows within `radius_m` metres of `point` on the spheroid, with `distance_meters`."""
    return queryset.annotate(distance_meters=DistanceTo(point)).filter(
        NearBox(point, radius_m), WithinMeters(point, radius_m)
    )


def district_filter(queryset: QuerySet[District], spatial: SpatialQuery | None) -> QuerySet[District]:
    """Districts that meet the filter: within the radius of the point, inside the district
    (their representative point is), intersecting the polygon or the viewport."""
    if spatial is None:
        return queryset
    if spatial.point is not None:
        as_geography = GeometryField(geography=True, srid=4326)
        queryset = queryset.alias(_geog=AsGeography("geometry", output_field=as_geography)).filter(
            _geog__dwithin=(spatial.point, D(m=spatial.radius_m))
        )
    if spatial.district is not None:
        queryset = (
            queryset.alias(_inside=PointOnSurface("geometry"))
            .filter(_inside__intersects=spatial.district.geometry)
            .exclude(pk=spatial.district.pk)
        )
    if spatial.geometry is not None:
        queryset = queryset.filter(geometry__intersects=spatial.geometry)
    if spatial.bbox is not None:
        queryset = queryset.filter(geometry__intersects=spatial.bbox)
    return queryset


def district_at(*, point: Point, layer: BoundaryLayer) -> District | None:
    """The district of `layer` that holds `point` (on a shared border: the one with the lowest id)."""
    return (
        District.objects.filter(layer=layer, parts__geometry__intersects=point)
        .select_related("layer")
        .order_by("id")
        .first()
    )


def layer_by_slug(slug: str, *, version: int | None = None, visible: QuerySet | None = None) -> BoundaryLayer | None:
    """The current version of a layer (or the version asked for), among `visible` layers if given."""
    layers = visible if visible is not None else BoundaryLayer.objects.all()
    layers = layers.filter(slug=slug)
    return layers.filter(version=version).first() if version is not None else layers.filter(is_current=True).first()


def districts_of(*, layer: BoundaryLayer | None = None) -> QuerySet[District]:
    queryset = District.objects.all()
    return queryset.filter(layer=layer) if layer is not None else queryset


def buildings() -> QuerySet[Building]:
    return Building.objects.all()


def points_of_interest(
    *, categories: list[str] | None = None, accessibility: dict[str, bool] | None = None
) -> QuerySet[PointOfInterest]:
    """Points of interest with any of `categories`, and each accessibility attribute asked for
    (`{"wheelchair": True, "hearing_loop": True}`): known to be there (wheelchair: fully accessible),
    or, asked as False, known not to be."""
    queryset = PointOfInterest.objects.all()
    if categories:
        queryset = queryset.filter(categories__overlap=categories)
    for attribute, wanted in (accessibility or {}).items():
        if attribute == "wheelchair":
            queryset = (
                queryset.filter(wheelchair="YES") if wanted else queryset.filter(wheelchair__in=["NO", "LIMITED"])
            )
        else:
            queryset = queryset.filter(**{attribute: wanted})
    return queryset


def organisations(*, kinds: list[str] | None = None, categories: list[str] | None = None) -> QuerySet[Organisation]:
    """Merchants, associations, partners, public bodies, cooperatives: of these kinds, with any of
    these categories."""
    queryset = Organisation.objects.all()
    if kinds:
        queryset = queryset.filter(kind__in=kinds)
    return queryset.filter(categories__overlap=categories) if categories else queryset


def explain(queryset: QuerySet) -> str:
    """The plan PostgreSQL chooses for a queryset (used by tests to prove index use)."""
    sql, params = queryset.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN {sql}", params)
        return "\n".join(row[0] for row in cursor.fetchall())
