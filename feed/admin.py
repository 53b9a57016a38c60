from django.contrib.gis import admin

from feed.models import Post


@admin.register(Post)
class PostAdmin(admin.GISModelAdmin):
    list_display = ["__str__", "owner", "created_at", "deleted_at"]
    raw_id_fields = ["owner", "organisation", "parent", "building", "district", "community"]
