from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from twofold.audit.models import AuditEvent


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    list_display = ("occurred_at", "kind", "principal_name", "actor", "ip_address")
    list_filter = ("kind", "occurred_at")
    search_fields = ("principal_name", "ip_address")
    date_hierarchy = "occurred_at"
    readonly_fields = [field.name for field in AuditEvent._meta.fields]

    # The audit log is evidence: nobody edits or deletes it through the admin.
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
