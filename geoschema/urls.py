from django.contrib import admin
from django.urls import path
from django.views.decorators.csrf import csrf_exempt

from geoschema.schema import schema
from geoschema.views import QuartierGraphQLView, healthz

urlpatterns = [
    path("graphql", csrf_exempt(QuartierGraphQLView.as_view(schema=schema))),
    path("graphql/", csrf_exempt(QuartierGraphQLView.as_view(schema=schema))),
    path("healthz", healthz),
    path("admin/", admin.site.urls),
]
