"""HTTP endpoints: the demo map at /, /graphql (GraphiQL in a browser) and /healthz, and the
answers to a path that names nothing (404) and to a failure no view caught (500)."""

import orjson
from cross_web import DjangoHTTPRequestAdapter, HTTPException
from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views import defaults
from strawberry.django.views import GraphQLView

from geoschema.errors import Code, format_error, http_error

# Staff in a browser keep Django's pages there; everything else this server answers is the API's.
ADMIN_PREFIX = "/admin/"


class RequestAdapter(DjangoHTTPRequestAdapter):
    @property
    def body(self) -> bytes:
        """The body as it came: orjson reads bytes, and refuses those that are not UTF-8 (Strawberry
        decodes it to text first, and invalid UTF-8 ended there as a 500)."""
        return self.request.body


class QuartierGraphQLView(GraphQLView):
    """Strawberry's sync view: under ASGI a whole request resolves in one worker thread, with no
    thread hop per field. Every error leaves with its code (geoschema.errors), those of a request
    that cannot be read too. Bodies are read and answers encoded by orjson, which copies the JSON
    that PostGIS built (map layers: orjson.Fragment) as it is."""

    request_adapter_class = RequestAdapter

    def dispatch(self, request, *args, **kwargs):
        """Strawberry answers a request it cannot read in plain text; here as a GraphQL error."""
        try:
            return self.run(request=request)
        except HTTPException as error:
            code = Code.BAD_INPUT if error.status_code < 500 else Code.INTERNAL
            body = {"errors": [{"message": error.reason, "extensions": {"code": code}}]}
            return HttpResponse(orjson.dumps(body), status=error.status_code, content_type="application/json")

    def parse_json(self, data: str | bytes) -> object:
        """A request's JSON, refused with a 400 that says why when it is not valid UTF-8, holds a
        lone surrogate (no text column could store it), NaN or an integer beyond 64 bits, or nests
        deeper than 1,024 levels (where Python's own parser would run out of stack)."""
        try:
            decoded = orjson.loads(data)
        except orjson.JSONDecodeError as error:
            raise HTTPException(400, f"the request body is not valid JSON: {error}") from error
        if not isinstance(decoded, dict | list):
            raise HTTPException(400, "the request body must be a JSON object with a `query`")
        return decoded

    def parse_multipart(self, request) -> dict:
        """An upload (the GraphQL multipart request spec) whose `map` does not fit its `operations`
        is a 400, not a 500 from Strawberry putting the files in place."""
        try:
            return super().parse_multipart(request)
        except (AttributeError, IndexError, KeyError, TypeError, ValueError) as error:
            raise HTTPException(400, "the upload's `map` does not fit its `operations`") from error

    def encode_json(self, data: object) -> bytes:
        return orjson.dumps(data, default=DjangoJSONEncoder().default)

    def process_result(self, request, result):
        data = {"data": result.data}
        if result.errors:
            data["errors"] = [format_error(error) for error in result.errors]
        if result.extensions:
            data["extensions"] = result.extensions
        return data

    def create_response(self, response_data, sub_response):
        """The answer, encoded; then its data is let go at once. Strawberry's execution context
        still points to it, and sits in a reference cycle (graphql-core's execution context holds
        the schema extensions, which point back to it) that Python frees only when its cyclic
        collector comes round: a map layer of 5,000 features stayed in memory until then, and 8
        concurrent viewports raised a worker's peak by ~100 MB."""
        try:
            return super().create_response(response_data, sub_response)
        finally:
            for answer in response_data if isinstance(response_data, list) else [response_data]:
                if isinstance(answer.get("data"), dict):
                    answer["data"].clear()  # the very dict that the execution context holds


def healthz(request: HttpRequest) -> JsonResponse:
    """200 when the database answers, 503 otherwise."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        return JsonResponse({"status": "ok", "database": "ok"})
    except Exception:  # noqa: BLE001 - any failure to reach the database is "down"
        return JsonResponse({"status": "degraded", "database": "unavailable"}, status=503)


def map_page(request: HttpRequest) -> HttpResponse:
    """The demo map: a static page (web/src) that talks GraphQL to this API."""
    return HttpResponse((settings.WEB_DIR / "src" / "index.html").read_bytes(), content_type="text/html; charset=utf-8")


def not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """A path that names nothing (DEBUG off): NOT_FOUND in the API's JSON, saying where the API is."""
    if request.path.startswith(ADMIN_PREFIX):
        return defaults.page_not_found(request, exception)
    return http_error(
        Code.NOT_FOUND,
        f"nothing at {request.path}: the API answers at /graphql, /tiles/<layer>/<z>/<x>/<y>.pbf and "
        "/exports/<dataset>.<geojson|csv>",
    )


def server_error(request: HttpRequest) -> HttpResponse:
    """A failure that no view caught (DEBUG off): INTERNAL in the API's JSON; Django has logged it."""
    if request.path.startswith(ADMIN_PREFIX):
        return defaults.server_error(request)
    return http_error(Code.INTERNAL, "internal error: it has been logged")
