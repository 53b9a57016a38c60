"""`Authorization: Bearer <token>` sets request.user; a bad token is an anonymous caller.

On the API paths only the token counts: a browser's admin session is ignored there, so a page on
another site cannot make a logged-in admin's browser act through the API (no CSRF on the API).
"""

from django.contrib.auth.models import AnonymousUser
from django.utils.functional import SimpleLazyObject

from accounts.services import token_user

API_PREFIXES = ("/graphql", "/exports/", "/tiles/")


def bearer_token(request) -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _, value = header.partition(" ")
    return value.strip() if scheme.lower() == "bearer" and value.strip() else None


class BearerTokenMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path.startswith(API_PREFIXES):
            raw = bearer_token(request)
            # Looked up when first needed, inside the request's handling: a database outage then
            # reaches the client as UNAVAILABLE, not as a failure of the middleware.
            request.user = SimpleLazyObject(lambda: (token_user(raw) if raw else None) or AnonymousUser())
        return self.get_response(request)
