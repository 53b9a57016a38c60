from django.contrib import admin
from django.contrib.gis.admin import GISModelAdmin

from places.models import BoundaryLayer, Building, District, Organisation, PointOfInterest


@admin.register(BoundaryLayer)
class BoundaryLayerAdmin(admin.ModelAdmin):
    list_display = ["slug", "name", "kind", "licence"]
    search_fields = ["slug", "name"]


@admin.register(District)
class DistrictAdmin(GISModelAdmin):
    list_display = ["name", "code", "layer", "parent", "area_m2"]
    list_filter = ["layer"]
    search_fields = ["name", "code"]
    raw_id_fields = ["parent"]


@admin.register(Building)
class BuildingAdmin(GISModelAdmin):
    list_display = ["name", "address", "dwellings"]
    search_fields = ["name", "address"]
    exclude = ["districts"]


@admin.register(PointOfInterest)
class PointOfInterestAdmin(GISModelAdmin):
    list_display = ["name", "address", "wheelchair", "source"]
    list_filter = ["wheelchair", "source"]
    search_fields = ["name", "address"]
    exclude = ["districts"]


@admin.register(Organisation)
class OrganisationAdmin(GISModelAdmin):
    list_display = ["name", "kind", "address"]
    list_filter = ["kind"]
    search_fields = ["name"]
    filter_horizontal = ["members"]
    exclude = ["districts"]
