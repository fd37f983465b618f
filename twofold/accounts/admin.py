from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin
from django.contrib.auth.forms import AdminUserCreationForm, UserChangeForm
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from twofold.accounts import services
from twofold.accounts.models import SignInThrottle, User, UserSession
from twofold.accounts.phones import DIRECTORY_USES, normalise_phone_number


class TwofoldUserCreationForm(AdminUserCreationForm):
    class Meta(AdminUserCreationForm.Meta):  # type: ignore[name-defined]
        model = User
        fields = ("username", "display_name")


class TwofoldUserChangeForm(UserChangeForm):
    class Meta(UserChangeForm.Meta):  # type: ignore[name-defined]
        model = User
        fields = "__all__"

    def clean_mobile_phone(self) -> str:
        return self._directory_phone("mobile_phone")

    def clean_office_phone(self) -> str:
        return self._directory_phone("office_phone")

    def _directory_phone(self, field: str) -> str:
        # The same check as the CLI and the registration pages: no letters, no premium ranges.
        raw = self.cleaned_data.get(field) or ""
        return normalise_phone_number(raw, DIRECTORY_USES[field]) if raw else ""


@admin.register(User)
class TwofoldUserAdmin(UserAdmin):
    form = TwofoldUserChangeForm
    add_form = TwofoldUserCreationForm
    list_display = ("username", "display_name", "is_active", "is_staff", "last_login")
    search_fields = ("username", "display_name", "email")
    ordering = ("username",)
    fieldsets = (
        (None, {"fields": ("username", "password")}),
        (
            _("Profile"),
            {
                "fields": (
                    "display_name",
                    "email",
                    "mobile_phone",
                    "office_phone",
                    "office_phone_extension",
                )
            },
        ),
        (_("Access"), {"fields": ("is_active", "is_staff", "is_superuser", "groups")}),
        (_("Dates"), {"fields": ("last_login", "date_joined", "password_changed_at")}),
    )
    add_fieldsets = (
        (
            None,
            {
                "classes": ("wide",),
                "fields": ("username", "display_name", "password1", "password2"),
            },
        ),
    )
    readonly_fields = ("last_login", "date_joined", "password_changed_at")
    actions = ["revoke_sessions"]

    @admin.action(description=_("Sign out of every session"))
    def revoke_sessions(self, request: HttpRequest, queryset: QuerySet[User]) -> None:
        total = sum(services.revoke_sessions(user) for user in queryset)
        message = ngettext("%(count)d session ended.", "%(count)d sessions ended.", total)
        self.message_user(request, message % {"count": total}, messages.SUCCESS)


@admin.register(UserSession)
class UserSessionAdmin(admin.ModelAdmin):
    list_display = ("user", "ip_address", "signed_in_at", "expire_date")
    search_fields = ("user__username", "ip_address")
    fields = ("user", "ip_address", "user_agent", "signed_in_at", "expire_date")
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(SignInThrottle)
class SignInThrottleAdmin(admin.ModelAdmin):
    """Deleting a row unlocks that sign-in name."""

    list_display = (
        "name_digest",
        "bucket",
        "failed_count",
        "lockout_count",
        "locked_until",
        "last_failure_at",
    )
    readonly_fields = (
        "name_digest",
        "bucket",
        "failed_count",
        "lockout_count",
        "locked_until",
        "last_failure_at",
    )
    exclude = ("recent_bad_passwords",)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False
