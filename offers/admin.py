from django.contrib import admin
from django.contrib.gis.admin import GISModelAdmin

from offers.models import FundingPool, Need, Offer, Pledge, PoolTopUp, Project


class ExchangeAdmin(GISModelAdmin):
    list_display = ["title", "kind", "status", "quantity", "unit", "created_at"]
    list_filter = ["kind", "status"]
    search_fields = ["title", "description"]
    raw_id_fields = ["owner", "organisation"]
    exclude = ["districts"]


@admin.register(Offer)
class OfferAdmin(ExchangeAdmin):
    pass


@admin.register(Need)
class NeedAdmin(ExchangeAdmin):
    raw_id_fields = ["owner", "organisation", "project"]


@admin.register(Project)
class ProjectAdmin(GISModelAdmin):
    list_display = ["title", "status", "funding_goal", "created_at"]
    list_filter = ["status"]
    search_fields = ["title"]
    raw_id_fields = ["owner", "organisation"]
    exclude = ["districts"]


@admin.register(Pledge)
class PledgeAdmin(admin.ModelAdmin):
    list_display = ["offer", "need", "quantity", "status", "created_at"]
    list_filter = ["status"]
    raw_id_fields = ["offer", "need", "created_by"]


@admin.register(FundingPool)
class FundingPoolAdmin(admin.ModelAdmin):
    list_display = ["name", "partner", "district", "layer", "ratio", "cap_per_project", "total", "active"]
    raw_id_fields = ["partner", "district"]


@admin.register(PoolTopUp)
class PoolTopUpAdmin(admin.ModelAdmin):
    list_display = ["pool", "project", "amount", "created_at"]
    raw_id_fields = ["pool", "project", "pledge"]
