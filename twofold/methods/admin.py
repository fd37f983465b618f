from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from twofold.methods.models import CustomSecurityQuestion, RegisteredMethod


@admin.register(RegisteredMethod)
class RegisteredMethodAdmin(admin.ModelAdmin):
    """Administrators see and delete methods; secrets are never shown or edited here."""

    list_display = ("user", "kind", "label", "is_default", "created_at", "last_used_at")
    list_filter = ("kind", "is_default")
    search_fields = ("user__username", "label")
    fields = ("user", "kind", "label", "is_default", "created_at", "last_used_at")
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(CustomSecurityQuestion)
class CustomSecurityQuestionAdmin(admin.ModelAdmin):
    list_display = ("text", "active")
    list_filter = ("active",)
