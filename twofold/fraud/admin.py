from __future__ import annotations

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from twofold.accounts.models import User
from twofold.fraud.models import FraudAlert
from twofold.fraud.services import resolve_fraud_alert


@admin.register(FraudAlert)
class FraudAlertAdmin(admin.ModelAdmin):
    list_display = ("user", "source", "created_at", "resolved_at")
    list_filter = ("source", "resolved_at")
    search_fields = ("user__username",)
    readonly_fields = ("user", "source", "created_at", "resolved_at")
    actions = ["resolve"]

    @admin.action(description=_("Resolve: let the user verify again"))
    def resolve(self, request: HttpRequest, queryset: QuerySet[FraudAlert]) -> None:
        actor = request.user if isinstance(request.user, User) else None
        for alert in queryset.filter(resolved_at__isnull=True):
            resolve_fraud_alert(alert, actor=actor)
        self.message_user(request, _("The alerts were resolved."), messages.SUCCESS)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False
