from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from twofold.messaging.models import Outbound, sent_outbound


@admin.register(Outbound)
class OutboundAdmin(admin.ModelAdmin):
    """The log of texts and calls, for support questions ("I never got the text")."""

    list_display = ("created_at", "channel", "to_number", "user", "gateway", "status")
    list_filter = ("channel", "gateway", "status")
    search_fields = ("to_number", "user__username", "provider_id")
    fields = (
        "created_at", "channel", "to_number", "extension", "user", "gateway",
        "provider_id", "status", "digits", "consumed_at",
    )  # fmt: skip
    readonly_fields = fields

    def get_queryset(self, request: HttpRequest) -> QuerySet[Outbound]:
        # Decoys were never sent: they'd only inflate the log and its counts.
        return sent_outbound().select_related("user")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
