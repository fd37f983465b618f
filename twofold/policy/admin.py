from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from twofold.accounts.admin import TwofoldUserAdmin
from twofold.accounts.models import User
from twofold.methods.registry import all_methods
from twofold.policy.models import AuthenticationPolicy, MethodPolicy, UserSecurityState
from twofold.policy.services import require_reregistration


@admin.register(AuthenticationPolicy)
class AuthenticationPolicyAdmin(admin.ModelAdmin):
    filter_horizontal = ("mfa_groups",)
    fieldsets = (
        (None, {"fields": ("mfa_requirement", "mfa_groups", "remember_browser_days")}),
        (_("App passwords"), {"fields": ("app_passwords_allowed", "app_passwords_in_wizard")}),
        (
            _("Registration"),
            {"fields": ("registration_required", "postpone_days", "reconfirm_days")},
        ),
        (
            _("Password reset"),
            {
                "fields": (
                    "sspr_enabled",
                    "sspr_methods_required",
                    "questions_to_register",
                    "questions_to_ask",
                    "sspr_unlocks_account",
                )
            },
        ),
    )

    def has_add_permission(self, request: HttpRequest) -> bool:
        return not AuthenticationPolicy.objects.exists()

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class MethodPolicyForm(forms.ModelForm):
    method_key = forms.ChoiceField(label=_("Method"), choices=())

    class Meta:
        model = MethodPolicy
        fields = ["method_key", "enabled", "groups", "options"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["method_key"].choices = [(m.key, m.name) for m in all_methods()]  # type: ignore[attr-defined]


@admin.register(MethodPolicy)
class MethodPolicyAdmin(admin.ModelAdmin):
    form = MethodPolicyForm
    list_display = ("method_key", "enabled")
    filter_horizontal = ("groups",)


@admin.register(UserSecurityState)
class UserSecurityStateAdmin(admin.ModelAdmin):
    list_display = ("user", "mfa_state", "info_confirmed_at")
    list_filter = ("mfa_state",)
    search_fields = ("user__username",)
    readonly_fields = ("registration_postponed_until", "postponed_since", "info_confirmed_at")


class SecurityStateInline(admin.StackedInline):
    model = UserSecurityState
    can_delete = False
    fields = ("mfa_state", "info_confirmed_at")
    readonly_fields = ("info_confirmed_at",)
    verbose_name = verbose_name_plural = _("Two-step verification")


@admin.action(description=_("Require re-registration of security info"))
def require_reregistration_action(
    modeladmin: admin.ModelAdmin, request: HttpRequest, queryset: QuerySet[User]
) -> None:
    actor = request.user if isinstance(request.user, User) else None
    for user in queryset:
        require_reregistration(user, actor=actor)
    count = queryset.count()
    modeladmin.message_user(
        request,
        ngettext(
            "%(count)d user must register security info again.",
            "%(count)d users must register security info again.",
            count,
        )
        % {"count": count},
        messages.SUCCESS,
    )


# The user admin lives in accounts; policy adds its own parts to it.
TwofoldUserAdmin.inlines = [*TwofoldUserAdmin.inlines, SecurityStateInline]
TwofoldUserAdmin.actions = [*TwofoldUserAdmin.actions, require_reregistration_action]
