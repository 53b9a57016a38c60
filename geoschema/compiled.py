"""Pages built by PostgreSQL: a connection whose selection is plain fields becomes one SQL query
that returns each node as JSON, and the page goes out without a Python object per row or field.

Resolving a page of 100 typed nodes costs Python ~15-20 µs per field value (a resolver call, its
extensions and completion for each), against well under a millisecond of SQL. When every field a
query selects under `edges { node { ... } }` maps to a column (`id`, texts, numbers, enums,
decimals, dates, lists of texts) or is one of the located fields (`location`, `distanceMeters`,
`locationPrecision`), the page is compiled instead: the list's own QuerySet (its filters, order and
permissions, untouched) is annotated with `json_build_object(...)` for the node, and the edges,
cursors, `pageInfo` and `totalCount` are put around the rows' JSON as text. Anything else (a
related object such as `district`, a field with arguments, `last`/`before`, a directive) takes the
typed path; both give the same answer, which tests/api/test_compiled_pages.py checks field by field.

The privacy rules stay those of accounts.permissions: `exact_location_sql` is `sees_exact_location`
as a condition on the rows, so the exact place, the rounding of distances and `locationPrecision`
follow the same rule in SQL as in Python.
"""

from collections.abc import Callable
from dataclasses import dataclass
from functools import cache

import orjson
from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.core.exceptions import FieldDoesNotExist
from django.db import connection, connections, models
from django.db.models import Count, Window
from django.db.models.expressions import RawSQL
from graphql import GraphQLEnumType, GraphQLList, GraphQLNonNull, GraphQLObjectType, GraphQLScalarType
from strawberry import Info, relay
from strawberry.types.nodes import FragmentSpread, InlineFragment, SelectedField
from strawberry_django.fields.field import StrawberryDjangoField
from strawberry_django.queryset import get_queryset_config

from accounts.permissions import exact_location_sql
from geoschema import statements
from places.geo import DistanceTo
from places.models import Located

LOCATED = ("location", "distanceMeters", "locationPrecision")
quote = connection.ops.quote_name


@dataclass(frozen=True)
class Prebuilt:
    """A field's whole answer, already JSON: the executor passes it on without completing it."""

    json: orjson.Fragment


def _point(column: str) -> str:
    """A GeoJSON Point with the coordinates that the typed `location` sends (ST_X, ST_Y: unrounded)."""
    coordinates = f"json_build_array(ST_X(({column})::geometry), ST_Y(({column})::geometry))"
    point = f"json_build_object('type', 'Point', 'coordinates', {coordinates})"
    return f"CASE WHEN {column} IS NULL THEN NULL ELSE {point} END"


def _iso(column: str) -> str:
    """A timestamp as Python's `isoformat()` writes it in UTC (what strawberry's DateTime sends)."""
    utc = f"{column} AT TIME ZONE 'UTC'"
    fraction = (
        f"CASE WHEN date_part('microseconds', {column})::int %% 1000000 = 0 THEN '' ELSE to_char({utc}, '.US') END"
    )
    return f"""to_char({utc}, 'YYYY-MM-DD"T"HH24:MI:SS') || {fraction} || '+00:00'"""


def _leaf(graphql_type):
    """The named type under NonNull and List wrappers, and whether a list was among them."""
    is_list = False
    while isinstance(graphql_type, GraphQLNonNull | GraphQLList):
        is_list = is_list or isinstance(graphql_type, GraphQLList)
        graphql_type = graphql_type.of_type
    return graphql_type, is_list


def _column(model: type[models.Model], field, graphql_type) -> str | None:
    """The SQL of a plain field (a column of the list's table, sent as strawberry sends it), or
    None when it is not one."""
    definition = field.extensions.get("strawberry-definition")
    if not isinstance(definition, StrawberryDjangoField) or definition.base_resolver is not None:
        return None
    try:
        column = model._meta.get_field(definition.django_name)
    except FieldDoesNotExist:  # a property, a method
        return None
    if column.is_relation or not column.concrete:
        return None
    sql = f"{quote(model._meta.db_table)}.{quote(column.column)}"
    leaf, is_list = _leaf(graphql_type)
    if is_list:
        ok = isinstance(column, ArrayField) and isinstance(leaf, GraphQLScalarType) and leaf.name in ("String", "Int")
        return sql if ok else None
    if isinstance(leaf, GraphQLEnumType):
        # Stored values are sent as the enum's names: the same text only when every name is its value.
        same = all(name == getattr(value.value, "value", value.value) for name, value in leaf.values.items())
        return sql if same else None
    plain = {
        "String": (models.CharField, models.TextField),
        "Int": (models.IntegerField,),
        "Float": (models.FloatField, models.IntegerField),
        "Boolean": (models.BooleanField,),
        "Date": (models.DateField,),
    }
    name = getattr(leaf, "name", None)
    if name == "DateTime" and isinstance(column, models.DateTimeField):
        return _iso(sql)
    if name == "Decimal" and isinstance(column, models.DecimalField):
        return f"({sql})::text"  # strawberry sends str(value)
    if name in plain and isinstance(column, plain[name]) and not isinstance(column, models.DateTimeField):
        return sql
    return None


@cache
def _plain_fields(node_type: GraphQLObjectType, model: type[models.Model]) -> dict[str, str]:
    """The node's fields that are columns, by GraphQL name."""
    found = {}
    for name, field in node_type.fields.items():
        if name == "id" or name in LOCATED:
            continue
        expression = _column(model, field, field.type)
        if expression is not None:
            found[name] = expression
    return found


def _flatten(selections, type_names: set[str]) -> list[SelectedField] | None:
    """The fields of a selection with fragments on this type spread out; None for what is not
    compiled: directives, fragments on other types, one response key asked for two things."""
    fields: dict[str, SelectedField] = {}
    for selection in selections:
        if selection.directives:
            return None
        if isinstance(selection, FragmentSpread | InlineFragment):
            if selection.type_condition is not None and selection.type_condition not in type_names:
                return None
            inner = _flatten(selection.selections, type_names)
            if inner is None:
                return None
            spread = inner
        else:
            spread = [selection]
        for field in spread:
            key = field.alias or field.name
            if key in fields and (fields[key].name != field.name or field.selections or fields[key].selections):
                return None
            fields[key] = field
    return list(fields.values())


def _names(graphql_type: GraphQLObjectType) -> set[str]:
    return {graphql_type.name, *(interface.name for interface in graphql_type.interfaces)}


@dataclass
class Plan:
    """What a compiled page answers: the connection's, edges', node's and pageInfo's keys."""

    connection: list[SelectedField]
    edge: list[SelectedField]
    node: list[SelectedField]
    page_info: list[SelectedField]
    connection_type: GraphQLObjectType
    edge_type: GraphQLObjectType
    node_type: GraphQLObjectType


def plan(info: Info, model: type[models.Model]) -> Plan | None:
    """The compiled plan of the connection that `info` resolves, over rows of `model`; None when
    the selection (or `last`/`before`) needs the typed path, or compiled pages are switched off.
    Worked out once per field of the query and request: the list's QuerySet and its page both ask."""
    # The same field nodes of the parsed query select the same in a request (the variables are the
    # request's) wherever they are resolved; the parsed query outlives the request: its ids stay.
    plans = info.context.__dict__.setdefault("compiled_plans", {})
    key = (*map(id, info._raw_info.field_nodes), model)
    if key not in plans:
        plans[key] = _plan(info, model)
    return plans[key]


def _plan(info: Info, model: type[models.Model]) -> Plan | None:
    raw = info._raw_info
    connection_type, _ = _leaf(raw.return_type)
    root = info.selected_fields[0]
    if not settings.QUARTIER["COMPILED_PAGES"] or "edges" not in getattr(connection_type, "fields", {}):
        return None
    if root.arguments.get("last") is not None or root.arguments.get("before") is not None:
        return None
    edge_type, _ = _leaf(connection_type.fields["edges"].type)
    node_type, _ = _leaf(edge_type.fields["node"].type)
    info_type, _ = _leaf(connection_type.fields["pageInfo"].type)
    if not isinstance(node_type, GraphQLObjectType):
        return None
    top = _flatten(root.selections, _names(connection_type))
    if top is None:
        return None
    parts = {"edges": None, "pageInfo": None}
    for field in top:
        if field.arguments:
            return None
        if field.name in parts:
            parts[field.name] = field
        elif field.name not in ("totalCount", "__typename"):
            return None
    edges = _flatten(parts["edges"].selections, _names(edge_type)) if parts["edges"] else []
    infos = _flatten(parts["pageInfo"].selections, _names(info_type)) if parts["pageInfo"] else []
    if edges is None or infos is None or any(f.arguments for f in (*edges, *infos)):
        return None
    if any(f.name not in ("cursor", "node", "__typename") for f in edges):
        return None
    node_field = next((f for f in edges if f.name == "node"), None)
    node = _node_fields(node_field, node_type, model, LOCATED) if node_field else []
    if node is None:
        return None
    return Plan(top, edges, node, infos, connection_type, edge_type, node_type)


def _node_fields(
    field: SelectedField, node_type: GraphQLObjectType, model: type[models.Model], located: tuple[str, ...]
) -> list[SelectedField] | None:
    """What `field` selects of a node of `node_type` when every part of it compiles (plain fields,
    `id`, the `located` fields on a located model), else None."""
    node = _flatten(field.selections, _names(node_type))
    known = {"__typename", "id", *_plain_fields(node_type, model)}
    if issubclass(model, Located):
        known.update(located)
    if node is None or any(f.arguments or f.selections or f.name not in known for f in node):
        return None
    return node


def objects(
    field: SelectedField, graphql_type, model: type[models.Model], pks: list[int], request
) -> dict[int, str] | None:
    """The JSON of the rows `pks` of `model`, as `field` (an object field of type `graphql_type`
    outside a page, such as a match's offer) selects them, by primary key; None when the selection
    needs the typed path or compiled answers are off. The rows are shown as they are: the caller
    has already decided that they may be seen. Their own distance (`distanceMeters`) is a page's
    and stays on the typed path."""
    node_type, _ = _leaf(graphql_type)
    if not settings.QUARTIER["COMPILED_PAGES"] or not isinstance(node_type, GraphQLObjectType):
        return None
    node = _node_fields(field, node_type, model, ("location", "locationPrecision"))
    if node is None:
        return None
    if not pks:
        return {}
    table = quote(model._meta.db_table)
    rows = model.objects.all()
    json = _node_json(node, node_type, rows, exact_location_sql(request, model, table))
    with connections[rows.db].cursor() as cursor:  # a statement this simple needs no ORM compiling
        cursor.execute(f"SELECT {table}.id, {json.sql} FROM {table} WHERE {table}.id = ANY(%s)", [*json.params, pks])
        return dict(cursor.fetchall())


def unoptimized(queryset: models.QuerySet, info: Info) -> models.QuerySet:
    """`queryset`, marked so that strawberry-django's optimizer leaves it alone when its page will be
    compiled: the optimizer's `only()`, annotations and prefetches serve typed fields only."""
    if plan(info, queryset.model) is not None:
        get_queryset_config(queryset).optimized = True
    return queryset


def _node_json(
    node: list[SelectedField], node_type: GraphQLObjectType, nodes: models.QuerySet, exact: tuple[str, list]
) -> RawSQL:
    """The JSON of the `node` fields of `node_type` as one SQL expression on the table of `nodes`;
    `exact`: the caller's exact-location rule on it (accounts.permissions.exact_location_sql)."""
    model = nodes.model
    table = quote(model._meta.db_table)
    plain = _plain_fields(node_type, model)
    exact, exact_params = exact
    distance = nodes.query.annotations.get("distance_meters")
    if isinstance(distance, DistanceTo):  # the list's own distance, written out again for the JSON
        distance_sql = distance.sql.format(column=f"{table}.{quote(distance.column_name)}")
        distance_params = list(distance.numbers)
    else:
        distance_sql, distance_params = "NULL::float8", []
    parts, params = [], []
    for field in node:
        key = field.alias or field.name
        if field.name == "__typename":
            parts.append(f"'{key}', '{node_type.name}'")
        elif field.name == "id":
            parts.append(f"'{key}', encode(convert_to('{node_type.name}:' || {table}.id, 'UTF8'), 'base64')")
        elif field.name == "location":
            exact_point, public_point = _point(f"{table}.location"), _point(f"{table}.public_location")
            parts.append(f"'{key}', CASE WHEN {exact} THEN {exact_point} ELSE {public_point} END")
            params += exact_params
        elif field.name == "distanceMeters":  # to the public location, as the list measures it
            parts.append(f"'{key}', {distance_sql}")
            params += distance_params
        elif field.name == "locationPrecision":
            parts.append(f"'{key}', CASE WHEN {exact} THEN 'EXACT' ELSE {table}.location_precision END")
            params += exact_params
        else:
            parts.append(f"'{key}', {plain[field.name]}")
    # Keys are GraphQL names ([_A-Za-z][_0-9A-Za-z]*, the parser's rule): safe as SQL literals.
    return RawSQL(f"json_build_object({', '.join(parts)})::text", params, output_field=models.TextField())


def _hashable(params: list) -> tuple:
    return tuple(tuple(p) if isinstance(p, list) else p for p in params)


def dumps(value) -> str:
    return orjson.dumps(value).decode()


def json_object(fields: list[SelectedField], values: dict[str, str]) -> str:
    """A JSON object of the asked `fields` (under their aliases), from each field's JSON text."""
    return "{" + ",".join(f"{dumps(field.alias or field.name)}:{values[field.name]}" for field in fields) + "}"


def selected(field: SelectedField, graphql_type) -> tuple[list[SelectedField], GraphQLObjectType] | None:
    """What `field` selects of its object type `graphql_type` (lists and non-nulls unwrapped), with
    fragments on it spread out, and that type; None when a directive, a fragment on another type
    or an argument below it asks for the typed path."""
    object_type, _ = _leaf(graphql_type)
    if not settings.QUARTIER["COMPILED_PAGES"] or not isinstance(object_type, GraphQLObjectType):
        return None
    fields = _flatten(field.selections, _names(object_type))
    if fields is None or any(f.arguments for f in fields):
        return None
    return fields, object_type


def page(
    nodes: models.QuerySet,
    info: Info,
    *,
    first: int,
    start: int,
    narrow: Callable[[models.QuerySet], models.QuerySet | None] | None = None,
) -> Prebuilt | None:
    """The page of `nodes` (`first` rows from position `start`) that `info` asks for, built in SQL;
    None when the selection needs the typed path. `narrow`, if given, restricts `nodes` to the rows
    that can be on the page (pagination's nearest-first window; None when it does not apply), from
    nothing but `nodes`, `first` and `start`; given only when `nodes` is ordered nearest first."""
    selection = plan(info, nodes.model)
    if selection is None:
        return None
    counted = any(f.name == "totalCount" for f in selection.connection)
    exact = exact_location_sql(info.context.request, nodes.model, quote(nodes.model._meta.db_table))

    def rows(nodes: models.QuerySet) -> models.QuerySet:
        window = narrow(nodes) if narrow else None
        nodes = nodes if window is None else window
        node = _node_json(selection.node, selection.node_type, nodes, exact) if selection.node else RawSQL("'{}'", [])
        annotated = nodes.prefetch_related(None).annotate(_node=node)
        if counted:  # counted in the same pass, as strawberry-django does
            annotated = annotated.annotate(_total=Window(Count("*")))
            return annotated.values_list("_node", "_total")[start : start + first + 1]
        return annotated.values_list("_node")[start : start + first + 1]

    # Its statement is compiled once per shape and kept (geoschema.statements): the shape is the
    # QuerySet without its point and radius, and what `rows` takes from this request besides it.
    node_key = (selection.node_type.name, *((f.alias, f.name) for f in selection.node))
    extra = (node_key, counted, first, start, narrow is not None, exact[0], _hashable(exact[1]))
    # Prepared (planned once per connection) when the nearest-first window narrows the page: its
    # planning is most of its cost. A page of every row within reach (a count, a district) keeps
    # plans made for its own values: the generic plan of a radius page walked the index where a
    # bitmap scan was faster and rebuilt the point for each row (+0.7 ms at 100,000 offers).
    fetched = statements.fetch(nodes, rows, extra, prepare=narrow is not None)
    has_next = len(fetched) > first
    fetched = fetched[:first]
    total = None
    if counted:
        total = fetched[0][1] if fetched else nodes.count()  # past the end, the window counted nothing
    cursors = [relay.to_base64("arrayconnection", start + i) for i in range(len(fetched))]
    edge_typename = dumps(selection.edge_type.name)
    edges = [
        json_object(selection.edge, {"node": row[0], "cursor": f'"{cursor}"', "__typename": edge_typename})
        for row, cursor in zip(fetched, cursors, strict=True)
    ]
    page_info = {
        "hasNextPage": has_next,
        "hasPreviousPage": start > 0,
        "startCursor": cursors[0] if cursors else None,
        "endCursor": cursors[-1] if cursors else None,
        "__typename": _leaf(selection.connection_type.fields["pageInfo"].type)[0].name,
    }
    connection = {
        "edges": f"[{','.join(edges)}]",
        "totalCount": dumps(total),
        "pageInfo": json_object(selection.page_info, {name: dumps(value) for name, value in page_info.items()}),
        "__typename": dumps(selection.connection_type.name),
    }
    return Prebuilt(orjson.Fragment(json_object(selection.connection, connection)))
