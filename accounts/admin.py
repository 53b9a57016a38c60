from django.contrib import admin

from accounts.models import ApiToken, Community, LoginAttempt, Membership


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ["user", "created_at", "expires_at", "revoked_at"]
    readonly_fields = ["key_hash"]
    raw_id_fields = ["user"]


@admin.register(LoginAttempt)
class LoginAttemptAdmin(admin.ModelAdmin):
    list_display = ["email", "succeeded", "at"]
    list_filter = ["succeeded"]


class MembershipInline(admin.TabularInline):
    model = Membership
    raw_id_fields = ["user"]
    extra = 0


@admin.register(Community)
class CommunityAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "organisation", "created_at"]
    list_filter = ["kind"]
    search_fields = ["name"]
    raw_id_fields = ["organisation", "building"]
    inlines = [MembershipInline]
