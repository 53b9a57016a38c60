"""`Authorization: Bearer <token>` sets request.user; a bad token is an anonymous caller."""

from django.contrib.auth.models import AnonymousUser

from accounts.services import token_user


def bearer_token(request) -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _, value = header.partition(" ")
    return value.strip() if scheme.lower() == "bearer" and value.strip() else None


class BearerTokenMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        raw = bearer_token(request)
        if raw is not None:
            request.user = token_user(raw) or AnonymousUser()
            request._dont_enforce_csrf_checks = True
        return self.get_response(request)
