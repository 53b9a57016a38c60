"""HTTP endpoints: /graphql (GraphiQL in a browser) and /healthz."""

from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from strawberry.django.views import GraphQLView

from geoschema.errors import format_error


class QuartierGraphQLView(GraphQLView):
    """Strawberry's sync view: under ASGI a whole request resolves in one worker thread, with no
    thread hop per field. Every error leaves with its code (geoschema.errors)."""

    def process_result(self, request, result):
        data = {"data": result.data}
        if result.errors:
            data["errors"] = [format_error(error) for error in result.errors]
        if result.extensions:
            data["extensions"] = result.extensions
        return data


graphql_view = csrf_exempt(QuartierGraphQLView.as_view(schema=None))


def healthz(request: HttpRequest) -> JsonResponse:
    """200 when the database answers, 503 otherwise."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        return JsonResponse({"status": "ok", "database": "ok"})
    except Exception:  # noqa: BLE001 - any failure to reach the database is "down"
        return JsonResponse({"status": "degraded", "database": "unavailable"}, status=503)
