from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class FraudAlert(models.Model):
    """A user said a verification they got was not theirs ("0#" on a call, a push denied as fraud).

    While an alert is open the user's second step is blocked and no texts or calls go out:
    whoever has the password must not get another try. An administrator resolves it.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="fraud_alerts"
    )
    source = models.CharField(_("reported through"), max_length=32)
    created_at = models.DateTimeField(_("reported"), auto_now_add=True, db_index=True)
    resolved_at = models.DateTimeField(_("resolved"), null=True, blank=True)

    class Meta:
        # The table it had in the methods app: moving the model kept the rows where they were.
        db_table = "methods_fraudalert"
        verbose_name = _("fraud alert")
        verbose_name_plural = _("fraud alerts")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.user} {self.source} {self.created_at:%Y-%m-%d %H:%M}"
