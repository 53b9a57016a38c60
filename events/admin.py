from django.contrib.gis import admin

from events.models import Event, Registration


@admin.register(Event)
class EventAdmin(admin.GISModelAdmin):
    list_display = ["title", "starts_at", "ends_at", "capacity", "status"]
    list_filter = ["status"]
    search_fields = ["title"]
    raw_id_fields = ["owner", "organisation", "point_of_interest", "building", "project", "community"]


@admin.register(Registration)
class RegistrationAdmin(admin.ModelAdmin):
    list_display = ["event", "user", "created_at"]
    raw_id_fields = ["event", "user"]
