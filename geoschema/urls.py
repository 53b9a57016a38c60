from django.contrib import admin
from django.urls import path, re_path
from django.views.decorators.csrf import csrf_exempt

from geoschema.exports import export, no_export
from geoschema.schema import schema
from geoschema.tiles import no_tile, tile
from geoschema.views import QuartierGraphQLView, healthz, map_page, not_found, server_error

# The API authenticates by bearer token only (accounts.middleware), never by a browser's cookies, so
# it needs no CSRF token and may take multipart uploads (partners' boundary files).
graphql = csrf_exempt(QuartierGraphQLView.as_view(schema=schema, multipart_uploads_enabled=True))

urlpatterns = [
    path("", map_page),
    path("graphql", graphql),
    path("graphql/", graphql),
    path("healthz", healthz),
    # Any other path under /tiles/ or /exports/ is the API's: a JSON NOT_FOUND that says what is there,
    # whatever DEBUG is (the demo map and /admin/ keep Django's pages).
    re_path(r"^tiles/(?P<layer>[a-z]+)/(?P<z>\d{1,2})/(?P<x>\d{1,8})/(?P<y>\d{1,8})\.pbf$", tile),
    re_path(r"^tiles/", no_tile),
    re_path(r"^exports/(?P<dataset>[a-z-]+)\.(?P<fmt>geojson|csv)$", export),
    re_path(r"^exports/", no_export),
    path("admin/", admin.site.urls),
]

# Any other path (DEBUG off) is a JSON NOT_FOUND too, and an uncaught failure a JSON INTERNAL: every
# answer of the API is JSON (the admin keeps Django's pages; DEBUG shows Django's debug pages).
handler404 = not_found
handler500 = server_error
