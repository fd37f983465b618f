from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.http import HttpRequest

from twofold.methods.registry import all_methods
from twofold.policy.models import AuthenticationPolicy, MethodPolicy, UserSecurityState


@admin.register(AuthenticationPolicy)
class AuthenticationPolicyAdmin(admin.ModelAdmin):
    filter_horizontal = ("mfa_groups",)
    fieldsets = (
        (None, {"fields": ("mfa_requirement", "mfa_groups", "remember_browser_days")}),
        ("Registration", {"fields": ("registration_required", "postpone_days", "reconfirm_days")}),
        ("Password reset", {"fields": ("sspr_enabled", "sspr_methods_required")}),
    )

    def has_add_permission(self, request: HttpRequest) -> bool:
        return not AuthenticationPolicy.objects.exists()

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class MethodPolicyForm(forms.ModelForm):
    method_key = forms.ChoiceField(choices=())

    class Meta:
        model = MethodPolicy
        fields = ["method_key", "enabled", "groups"]

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
