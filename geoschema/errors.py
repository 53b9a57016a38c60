"""The error codes of the API (API.md) and how every failure reaches `extensions.code`.

Resolvers, selectors and services raise `ApiError`; anything else that escapes is masked as
INTERNAL (logged on the server, never shown), so a client never sees a traceback. The plain HTTP
endpoints (tiles, exports) answer their failures with the same codes (`http_endpoint`).
"""

import functools
import logging
import re
from collections.abc import Callable, Sequence
from enum import StrEnum

from django.conf import settings
from django.core.exceptions import ObjectDoesNotExist, PermissionDenied, TooManyFieldsSent, ValidationError
from django.db import DataError, IntegrityError, InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from graphql import GraphQLError

log = logging.getLogger("quartier.api")


class Code(StrEnum):
    BAD_INPUT = "BAD_INPUT"
    NOT_FOUND = "NOT_FOUND"
    UNAUTHENTICATED = "UNAUTHENTICATED"
    FORBIDDEN = "FORBIDDEN"
    LIMIT_EXCEEDED = "LIMIT_EXCEEDED"
    CONFLICT = "CONFLICT"
    UNAVAILABLE = "UNAVAILABLE"
    INTERNAL = "INTERNAL"


class ApiError(Exception):
    """A failure the client can act on: a code and a message that says what to fix."""

    def __init__(self, code: Code, message: str):
        super().__init__(message)
        self.code = code
        self.message = message


def bad_input(message: str) -> ApiError:
    return ApiError(Code.BAD_INPUT, message)


def limit_exceeded(message: str) -> ApiError:
    return ApiError(Code.LIMIT_EXCEEDED, message)


def not_found(message: str) -> ApiError:
    return ApiError(Code.NOT_FOUND, message)


MESSAGE_MAX = 1000  # characters of an error message
UNAVAILABLE_MESSAGE = "the database is not available right now: try again shortly"

# Errors raised by GraphQL validation rules (strawberry's limiter extensions) carry no code.
_LIMIT_MESSAGES = re.compile(r"exceeds maximum operation depth|aliases|contains more than \d+ tokens", re.I)


def format_error(error: GraphQLError) -> dict:
    """The JSON of one error, with its code; unknown failures are masked."""
    original = error.original_error
    while isinstance(original, GraphQLError) and original.original_error is not None:
        original = original.original_error
    formatted = error.formatted
    if (formatted.get("extensions") or {}).get("code") not in Code.__members__:  # else classified where raised
        code, formatted["message"] = _classify(original, error)
        formatted["extensions"] = {**(formatted.get("extensions") or {}), "code": code}
    if len(formatted["message"]) > MESSAGE_MAX:  # a message quotes the value it refuses, which may be megabytes
        formatted["message"] = formatted["message"][:MESSAGE_MAX] + "…"
    return formatted


def _classify(original: BaseException | None, error: GraphQLError) -> tuple[str, str]:
    if original is None or isinstance(original, GraphQLError):
        # Syntax and validation errors: the query itself is wrong.
        code = Code.LIMIT_EXCEEDED if _LIMIT_MESSAGES.search(error.message) else Code.BAD_INPUT
        return code, error.message
    if isinstance(original, ApiError):
        # Coercion errors prefix the variable's path; keep that, it says where the problem is.
        return original.code, error.message
    if isinstance(original, ValidationError):
        return Code.BAD_INPUT, "; ".join(original.messages)
    if isinstance(original, PermissionDenied):
        return Code.FORBIDDEN, str(original) or "you may not do this"
    if isinstance(original, ObjectDoesNotExist):
        return Code.NOT_FOUND, str(original)
    if isinstance(original, DataError):  # a value PostgreSQL refuses: a NUL character, a number out of range
        return Code.BAD_INPUT, refused(original)
    if isinstance(original, OperationalError) and "statement timeout" in str(original):
        return Code.LIMIT_EXCEEDED, "the query took too long: narrow the area or the page"
    if isinstance(original, IntegrityError) and (column := null_column(original)) is not None:
        # The client left a value out that is needed: asking again would fail again.
        return Code.BAD_INPUT, f"{column} cannot be null: give a value"
    if isinstance(original, IntegrityError):  # a unique row written by someone else meanwhile
        return Code.CONFLICT, "this conflicts with a change made at the same time: ask again"
    if isinstance(original, OperationalError | InterfaceError):  # the server is down, restarting, unreachable
        log.warning("database error: %s", original)
        return Code.UNAVAILABLE, UNAVAILABLE_MESSAGE
    log.error("unexpected error in %s", error.path, exc_info=original)
    return Code.INTERNAL, "internal error: it has been logged"


def refused(error: DataError) -> str:
    return f"a value cannot be stored: {str(error).splitlines()[0]}"


NOT_NULL_VIOLATION = "23502"


def null_column(error: IntegrityError) -> str | None:
    """The column a NOT NULL violation is about ("a value" when PostgreSQL does not say), or None
    for any other integrity error."""
    cause = error.__cause__
    if getattr(cause, "sqlstate", None) != NOT_NULL_VIOLATION:
        return None
    return getattr(getattr(cause, "diag", None), "column_name", None) or "a value"


# Plain HTTP endpoints (tiles, exports) answer a failure with the same `errors` as a GraphQL answer,
# and with the status that says it to HTTP clients and caches.
HTTP_STATUS = {
    Code.BAD_INPUT: 400,
    Code.LIMIT_EXCEEDED: 400,
    Code.NOT_FOUND: 404,
    Code.UNAUTHENTICATED: 401,
    Code.FORBIDDEN: 403,
    Code.CONFLICT: 409,
    Code.UNAVAILABLE: 503,
    Code.INTERNAL: 500,
}
HTTP_METHODS = ("GET", "HEAD")


def http_error(code: Code, message: str, status: int | None = None) -> JsonResponse:
    """The JSON answer of a plain HTTP endpoint to a failure: `{"errors": [{message, extensions:
    {code}}]}`, as GraphQL's."""
    if len(message) > MESSAGE_MAX:
        message = message[:MESSAGE_MAX] + "…"
    body = {"errors": [{"message": message, "extensions": {"code": code}}]}
    return JsonResponse(body, status=status or HTTP_STATUS[code])


def http_endpoint(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """A plain HTTP endpoint of the API: GET (or HEAD) only, and every failure a coded JSON answer,
    classified as GraphQL's errors are (a value PostgreSQL refuses is BAD_INPUT, an outage
    UNAVAILABLE, anything unexpected INTERNAL: logged, never shown). No CSRF check: the API
    authenticates by bearer token only (accounts.middleware), and a POST gets its 405 here."""

    @csrf_exempt
    @functools.wraps(view)
    def endpoint(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if request.method not in HTTP_METHODS:
            response = http_error(Code.BAD_INPUT, f"{request.path} answers GET, not {request.method}", status=405)
            response["Allow"] = ", ".join(HTTP_METHODS)
            return response
        try:
            return view(request, *args, **kwargs)
        except TooManyFieldsSent:  # raised by the first look at request.GET
            limit = settings.DATA_UPLOAD_MAX_NUMBER_FIELDS
            return http_error(Code.BAD_INPUT, f"a request takes at most {limit} query parameters")
        except Exception as exc:  # noqa: BLE001 - every failure leaves with its code, as in GraphQL
            formatted = format_error(GraphQLError(str(exc), path=[request.path], original_error=exc))
            return http_error(Code(formatted["extensions"]["code"]), formatted["message"])

    return endpoint


def check_parameters(request: HttpRequest, taken: Sequence[str], what: str) -> None:
    """Each query parameter is one that `what` takes, given once, without a NUL character: a typo
    in a filter's name is refused, never answered with data quietly left unfiltered."""
    if unknown := [name for name in request.GET if name not in taken]:
        names = ", ".join(repr(name) for name in unknown)
        known = f"they take {', '.join(taken)}" if taken else "they take none"
        raise bad_input(f"{what} take no parameter{'s' if len(unknown) > 1 else ''} {names}: {known}")
    for name, values in request.GET.lists():
        if len(values) > 1:
            raise bad_input(f"{name} is given {len(values)} times: give it once")
        if "\x00" in values[0]:
            raise bad_input(f"{name} must not contain a NUL character")
