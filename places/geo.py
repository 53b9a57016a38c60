"""SQL expressions on locations that Django has no name for, shared by every app."""

from django.contrib.gis.db.models import GeometryField
from django.contrib.gis.geos import Point
from django.db.models import BooleanField, Expression, F, FloatField, Func, IntegerField, Value


class AsGeometry(Func):
    """`location::geometry`: planar tests (inside a polygon, a viewport) on a geography point.

    Located tables carry a GiST index on this very expression, so the tests use it; a planar
    test agrees with what a map draws (and with shapely) for points near a boundary.
    """

    template = "(%(expressions)s)::geometry"
    output_field = GeometryField(srid=4326)


class Longitude(Func):
    """ST_X of a located row's point."""

    template = "ST_X((%(expressions)s)::geometry)"
    output_field = FloatField()


class Latitude(Func):
    """ST_Y of a located row's point."""

    template = "ST_Y((%(expressions)s)::geometry)"
    output_field = FloatField()


class ColumnIfAny(Expression):
    """A model's column when it has it, else NULL: lets one annotation serve every located model
    (an offer has an owner; a point of interest has none)."""

    def __init__(self, attname: str):
        super().__init__(output_field=IntegerField())
        self.attname = attname

    def resolve_expression(self, query=None, *args, **kwargs):
        columns = {f.attname for f in query.model._meta.concrete_fields}
        column = F(self.attname) if self.attname in columns else Value(None, output_field=IntegerField())
        return column.resolve_expression(query, *args, **kwargs)


# A literal WGS84 point as geography, its coordinates two parameters.
POINT_SQL = "ST_SetSRID(ST_MakePoint(%s, %s), 4326)::geography"


class ToPoint(Func):
    """SQL of a located column and a literal point (and radius). The point and a numeric radius
    are parameters, not expressions: the ORM copies, hashes and compiles every expression of a
    query several times, and a radius question holds five of these (~1 ms a request before)."""

    sql = ""  # with {column} (and {radius} for an expression radius); %s for the point, then a number

    def __init__(self, origin: Point, radius_m: float | Expression | None = None, field: str = "public_location"):
        sources = [F(field)] + ([radius_m] if isinstance(radius_m, Expression) else [])
        super().__init__(*sources)
        self.column_name = field
        # The point and radius live here only (geoschema.statements substitutes them).
        self.numbers = [float(origin.x), float(origin.y)]
        if radius_m is not None and not isinstance(radius_m, Expression):
            self.numbers.append(float(radius_m))

    @property
    def origin(self) -> Point:
        return Point(self.numbers[0], self.numbers[1], srid=4326)

    @property
    def identity(self):
        return (type(self), self.column_name, tuple(self.numbers), *(e.identity for e in self.source_expressions[1:]))

    def as_sql(self, compiler, connection, **extra):
        column, params = compiler.compile(self.source_expressions[0])
        if len(self.source_expressions) > 1:
            radius, radius_params = compiler.compile(self.source_expressions[1])
            return self.sql.format(column=column, radius=radius), [*params, *self.numbers, *radius_params]
        return self.sql.format(column=column, radius="%s"), [*params, *self.numbers]


class DistanceTo(ToPoint):
    """ST_Distance from a located row to `origin` on the WGS84 spheroid, in metres."""

    sql = f"ST_Distance({{column}}, {POINT_SQL})"
    output_field = FloatField()

    def __init__(self, origin: Point, field: str = "public_location"):
        super().__init__(origin, field=field)


class NearBox(ToPoint):
    """`location && _ST_Expand(origin, radius)`: the index condition of ST_DWithin on its own.

    A radius filter is written as this box test plus `WithinMeters`, not as ST_DWithin:
    PostgreSQL estimates ST_DWithin on geography at a handful of rows whatever the radius, and then
    sorts thousands of rows instead of walking the index nearest first. The box test is estimated
    from the index statistics.
    """

    sql = f"{{column}} && _ST_Expand({POINT_SQL}, {{radius}})"
    output_field = BooleanField()

    def __init__(self, origin: Point, radius_m: float | Expression, field: str = "public_location"):
        super().__init__(origin, radius_m, field=field)


class WithinMeters(ToPoint):
    """`_ST_DWithin(location, origin, radius)`: the spheroid distance test of ST_DWithin without its
    index condition (NearBox is that). It computes the same spheroid distance as `DistanceTo`
    (what `distanceMeters` shows, so a filter and its answer agree), but settles most rows on a
    cheaper sphere distance first: half the time of `ST_Distance(...) <= radius` on 12,000 rows."""

    sql = f"_ST_DWithin({{column}}, {POINT_SQL}, {{radius}})"
    output_field = BooleanField()

    def __init__(self, origin: Point, radius_m: float, field: str = "public_location"):
        super().__init__(origin, float(radius_m), field=field)


class KnnTo(ToPoint):
    """`location <-> origin`: the order in which the GiST index returns nearest first (on a sphere,
    so only a bound for the exact spheroid order)."""

    sql = f"({{column}} <-> {POINT_SQL})"
    output_field = FloatField()

    def __init__(self, origin: Point, field: str = "public_location"):
        super().__init__(origin, field=field)


class AsGeography(Func):
    """`geometry::geography`, for metres on a polygon column."""

    template = "(%(expressions)s)::geography"


class PointOnSurface(Func):
    """A point guaranteed inside a polygon: where a district "is" when placing it in another."""

    function = "ST_PointOnSurface"
    output_field = GeometryField(srid=4326)
