"""The error codes of the API (API.md) and how every failure reaches `extensions.code`.

Resolvers, selectors and services raise `ApiError`; anything else that escapes is masked as
INTERNAL (logged on the server, never shown), so a client never sees a traceback.
"""

import logging
import re
from enum import StrEnum

from django.core.exceptions import ObjectDoesNotExist, PermissionDenied, ValidationError
from django.db import DatabaseError, DataError, IntegrityError, InterfaceError, OperationalError
from django.http import JsonResponse
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
    if isinstance(original, IntegrityError):  # a unique row written by someone else meanwhile
        return Code.CONFLICT, "this conflicts with a change made at the same time: ask again"
    if isinstance(original, OperationalError | InterfaceError):  # the server is down, restarting, unreachable
        log.warning("database error: %s", original)
        return Code.UNAVAILABLE, UNAVAILABLE_MESSAGE
    log.error("unexpected error in %s", error.path, exc_info=original)
    return Code.INTERNAL, "internal error: it has been logged"


def refused(error: DataError) -> str:
    return f"a value cannot be stored: {str(error).splitlines()[0]}"


def database_error_response(error: DatabaseError) -> JsonResponse:
    """The answer of a plain HTTP endpoint (tiles, exports) to a database error: a value PostgreSQL
    refuses is the client's (400), anything else an outage (503)."""
    if isinstance(error, DataError):
        return JsonResponse({"error": {"code": Code.BAD_INPUT, "message": refused(error)}}, status=400)
    return JsonResponse({"error": {"code": Code.UNAVAILABLE, "message": UNAVAILABLE_MESSAGE}}, status=503)
