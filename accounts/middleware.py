"""`Authorization: Bearer <token>` sets request.user on the API paths.

No Authorization header is an anonymous caller. A header that does not name a live token (unknown,
revoked, expired, of a deactivated account, or not `Bearer <token>` at all) is refused with
UNAUTHENTICATED before the request goes further, never served as anonymous: a client that sends
credentials learns that they were refused, instead of getting what anyone may see as if it were
all there is. /graphql answers that as a GraphQL error (`data` null), /tiles and /exports with a
401, in the same `errors` shape.

The token is looked up on the primary, before the request's reads are sent to a replica
(geoschema.routers): a token just issued or just revoked is known at once.

On the API paths only the token counts: a browser's admin session is ignored there, so a page on
another site cannot make a logged-in admin's browser act through the API (no CSRF on the API).
"""

from django.contrib.auth.models import AnonymousUser
from django.http import HttpResponse, JsonResponse
from graphql import GraphQLError

from accounts.services import token_user
from geoschema.errors import Code, format_error, http_error

API_PREFIXES = ("/graphql", "/exports/", "/tiles/")
GRAPHQL_PREFIX = "/graphql"


def bearer_token(request) -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _, value = header.partition(" ")
    return value.strip() if scheme.lower() == "bearer" and value.strip() else None


def _refused(request, code: Code, message: str) -> HttpResponse:
    """The answer to a request refused before it reached its view: a GraphQL answer on /graphql, a
    plain HTTP error (401, 503...) on /tiles and /exports."""
    if request.path.startswith(GRAPHQL_PREFIX):
        error = {"message": message, "extensions": {"code": code}}
        return JsonResponse({"data": None, "errors": [error]})
    return http_error(code, message)


class BearerTokenMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not request.path.startswith(API_PREFIXES):
            return self.get_response(request)
        if not request.headers.get("Authorization", "").strip():
            request.user = AnonymousUser()
            return self.get_response(request)
        raw = bearer_token(request)
        if raw is None:
            return _refused(
                request, Code.UNAUTHENTICATED, "the Authorization header must be `Bearer <token>`: log in for a token"
            )
        try:
            user = token_user(raw)
        except Exception as exc:  # noqa: BLE001 - an outage reaches the client as UNAVAILABLE, as in a resolver
            formatted = format_error(GraphQLError(str(exc), original_error=exc))
            return _refused(request, Code(formatted["extensions"]["code"]), formatted["message"])
        if user is None:
            return _refused(
                request,
                Code.UNAUTHENTICATED,
                "this bearer token is unknown, revoked or expired: log in again, or send no Authorization header",
            )
        request.user = user
        return self.get_response(request)
