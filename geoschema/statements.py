"""Compiled SQL kept per query shape: the ORM builds and compiles a page's statement once, later
requests of the same shape only put their own point and radius into it.

Building a compiled page's statement from a list's QuerySet (the nearest-first window, the JSON of
each node, the count) and compiling it cost 1-2.5 ms of Python a request (measured in-process, the
same requests alternately: nearest 20 9.3 -> 7.0 ms, within a borough 14.4 -> 13.2 ms), against
about 1 ms for PostgreSQL to answer. Requests of one shape differ only in where they are asked from:

- the shape is the list's QuerySet pickled, with the numbers of its point expressions (the point
  and radius of `places.geo.ToPoint` expressions, their only place) left out, plus what the
  caller adds (`extra`: the selection, the page's bounds, the caller's exact-location rule);
- the first request of a shape compiles the statement three times: with its own numbers, and
  with two sets of sentinels (far outside any coordinate or radius) in a copy of the QuerySet. A
  parameter where the sentinels were is a slot, filled later from the request's numbers; every
  other parameter and the SQL text must come out the same all three times, else the shape is
  marked as not to be kept and each request compiles its own statement (a number that reached the
  statement some other way, or SQL that depends on a number, cannot go unnoticed).

Everything else in the QuerySet (kinds, categories, districts, polygons, the communities a caller
sees, ...) is part of the shape: a change in any of them is another shape, never a reused one.

A kept statement's text comes back for every request of its shape, with other parameters: `fetch`
can run it prepared, so that PostgreSQL also plans it once per connection (geoschema/postgis/base.py).
"""

import io
import pickle
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from functools import cache

from django.conf import settings
from django.db import connections
from django.db.models import Field, QuerySet
from django.db.models.expressions import BaseExpression
from django.db.models.sql.where import WhereNode
from django.utils.functional import cached_property
from django.utils.module_loading import import_string

from places.geo import ToPoint

SHAPES_KEPT = 512  # per process; a shape is a few kB of SQL
NOT_KEPT = object()  # a shape whose statement each request compiles (see the module's docstring)
NUMBERS_MAX = 64  # a QuerySet with more point numbers than this is compiled for each request
# Two sets of stand-ins for a shape's numbers: far outside any coordinate or radius, and exactly
# the same floats after any trip through GEOS (a Point built from them gives them back).
_SENTINELS = ([1e300 * (k + 1) for k in range(NUMBERS_MAX)], [-1e299 * (k + 1) for k in range(NUMBERS_MAX)])


class _Pickler(pickle.Pickler):
    """Pickles a Query with the numbers of its point expressions taken out (collected in
    `numbers`, in the order met) and replaced by `substitute(numbers, how many came before)`."""

    def __init__(self, substitute: Callable[[list[float], int], object]):
        self.buffer = io.BytesIO()
        super().__init__(self.buffer, protocol=pickle.HIGHEST_PROTOCOL)
        # No memo: equal values pickle to equal bytes whether or not they are one object.
        self.fast = True
        self.numbers: list[float] = []
        self.substitute = substitute

    def reducer_override(self, obj):
        if isinstance(obj, Field) and not hasattr(obj, "model"):
            # An expression's output field, often one instance shared by every query, which
            # caches things as queries use it: pickled as what it is, not as what it has cached.
            _, path, args, kwargs = obj.deconstruct()
            return _field, (path, args, kwargs)
        if not isinstance(obj, BaseExpression | WhereNode):
            return NotImplemented
        # Likewise an expression (a column's is shared by every query) without what it cached.
        state = {k: v for k, v in obj.__getstate__().items() if k not in _cached(type(obj))}
        if isinstance(obj, ToPoint):
            state.pop("_constructor_args", None)
            state["numbers"] = self.substitute(obj.numbers, len(self.numbers))
            self.numbers += obj.numbers
        return _restore, (type(obj), state)


@cache
def _cached(cls: type) -> frozenset[str]:
    """The names of `cls`'s cached properties: derived state, computed again when needed (but
    `output_field`, which an expression may also be given)."""
    names = {name for klass in cls.__mro__ for name, value in vars(klass).items() if isinstance(value, cached_property)}
    return frozenset(names - {"output_field"})


def _field(path: str, args: list, kwargs: dict) -> Field:
    return import_string(path)(*args, **kwargs)


def _restore(cls, state: dict):
    restored = cls.__new__(cls)
    restored.__dict__.update(state)
    if issubclass(cls, ToPoint):
        restored._constructor_args = ((), {})
    return restored


def _shape(queryset: QuerySet) -> tuple[bytes, list[float]]:
    """The pickled Query without its numbers (how many there are stays), and the numbers."""
    pickler = _Pickler(lambda numbers, start: len(numbers))
    pickler.dump(queryset.query)
    return pickler.buffer.getvalue(), pickler.numbers


def _with_sentinels(queryset: QuerySet, sentinels: list[float]) -> QuerySet:
    """A copy of `queryset` whose point expressions hold `sentinels` instead of their numbers."""
    pickler = _Pickler(lambda numbers, start: sentinels[start : start + len(numbers)])
    pickler.dump(queryset.query)
    copy = queryset.all()
    copy.query = pickle.loads(pickler.buffer.getvalue())
    return copy


class _Shapes:
    """The kept statements: shape -> (SQL, parameters with a slot's index where a number goes)."""

    def __init__(self):
        self.lock = threading.Lock()
        self.kept: OrderedDict[Hashable, object] = OrderedDict()

    def get(self, key: Hashable):
        with self.lock:
            found = self.kept.get(key)
            if found is not None:
                self.kept.move_to_end(key)
            return found

    def put(self, key: Hashable, value) -> None:
        with self.lock:
            self.kept[key] = value
            while len(self.kept) > SHAPES_KEPT:
                self.kept.popitem(last=False)

    def clear(self) -> None:
        with self.lock:
            self.kept.clear()


shapes = _Shapes()


class _Slot(int):
    """In a kept statement's parameters: the index of the request's number that goes there."""


def statement(queryset: QuerySet, build: Callable[[QuerySet], QuerySet], extra: Hashable) -> tuple[str, list]:
    """The SQL and parameters of `build(queryset)`: from the kept statement of its shape when there
    is one, else compiled (and kept if the shape allows). `build` may use nothing of the request
    but `queryset` and what `extra` holds. QUARTIER["KEPT_STATEMENTS"] off: compiled each time."""
    sql, params, _ = _statement(queryset, build, extra)
    return sql, params


def fetch(
    queryset: QuerySet, build: Callable[[QuerySet], QuerySet], extra: Hashable, *, prepare: bool = False
) -> list[tuple]:
    """The rows of `build(queryset)`, by `statement()`'s SQL. With `prepare`, a kept statement,
    whose text comes back for every request of its shape, runs prepared (geoschema/postgis/base.py):
    PostgreSQL plans it once per connection, for any parameters."""
    sql, params, kept = _statement(queryset, build, extra)
    connection = connections[queryset.db]
    with connection.prepared_cursor() if prepare and kept else connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def _statement(queryset: QuerySet, build: Callable[[QuerySet], QuerySet], extra: Hashable) -> tuple[str, list, bool]:
    """`statement()`, and whether it came from a kept statement."""
    if not settings.QUARTIER["KEPT_STATEMENTS"]:
        return (*_compiled(build(queryset)), False)
    try:
        pickled, numbers = _shape(queryset)
    except (pickle.PicklingError, TypeError, AttributeError, ValueError, RecursionError):  # something does not pickle
        return (*_compiled(build(queryset)), False)
    key = (pickled, extra)
    kept = shapes.get(key)
    if isinstance(kept, tuple):
        sql, template = kept
        return sql, [numbers[p] if type(p) is _Slot else p for p in template], True
    sql, params = _compiled(build(queryset))
    if kept is None:
        shapes.put(key, _template(queryset, build, sql, params, numbers))
    return sql, params, False


def _template(queryset, build, sql: str, params: list, numbers: list[float]):
    """The statement of this shape with slots for its numbers, or NOT_KEPT."""
    if len(numbers) > NUMBERS_MAX:
        return NOT_KEPT
    compiled = []
    for sentinels in _SENTINELS:
        try:
            other_sql, other_params = _compiled(build(_with_sentinels(queryset, sentinels)))
        except Exception:  # noqa: BLE001 - whatever sentinels break (an integer out of range...) is not kept
            return NOT_KEPT
        if other_sql != sql or len(other_params) != len(params):
            return NOT_KEPT
        compiled.append(other_params)
    first, second = compiled
    sentinels_a, sentinels_b = (sentinels[: len(numbers)] for sentinels in _SENTINELS)
    template = []
    for mine, a, b in zip(params, first, second, strict=True):
        slot = _slot_of(a, sentinels_a)
        if slot is None and _slot_of(b, sentinels_b) is None and mine == a == b:
            template.append(mine)  # the same whatever the numbers: part of the shape
        elif slot is not None and _slot_of(b, sentinels_b) == slot and mine == numbers[slot]:
            template.append(_Slot(slot))
        else:
            return NOT_KEPT
    return sql, template


def _compiled(queryset: QuerySet) -> tuple[str, list]:
    sql, params = queryset.query.sql_with_params()
    return sql, list(params)


def _slot_of(value, sentinels: list[float]) -> int | None:
    if type(value) is float and value in sentinels:
        return sentinels.index(value)
    return None
