from django import forms
from django.contrib import admin
from django.contrib.admin.forms import AdminAuthenticationForm

from accounts.models import ApiToken, Community, LoginAttempt, Membership
from accounts.services import user_authenticate
from geoschema.errors import ApiError, Code


class RateLimitedAdminAuthenticationForm(AdminAuthenticationForm):
    """The admin's login, under the API's rate limit (accounts.services.user_authenticate): its
    attempts are recorded with the API's, and an account locked out of one is locked out of both."""

    def clean(self):
        username, password = self.cleaned_data.get("username"), self.cleaned_data.get("password")
        if username is not None and password:
            try:
                self.user_cache = user_authenticate(username=username, password=password, request=self.request)
            except ApiError as error:
                if error.code == Code.LIMIT_EXCEEDED:
                    raise forms.ValidationError(
                        "Too many failed logins for this account: wait a few minutes, then try again.",
                        code="too_many_failures",
                    ) from error
                raise self.get_invalid_login_error() from error
            self.confirm_login_allowed(self.user_cache)
        return self.cleaned_data


admin.site.login_form = RateLimitedAdminAuthenticationForm


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
