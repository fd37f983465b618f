"""Fraud alerts: a reported verification blocks the second step until an admin looks.

Below the methods and the push and messaging apps, which all raise or check them.
"""

from __future__ import annotations

import logging
from typing import Any

from django.core.mail import send_mail
from django.http import HttpRequest
from django.utils.translation import gettext as _

from twofold.accounts.models import User
from twofold.audit.models import AuditEvent
from twofold.audit.services import record_event
from twofold.core import clock
from twofold.fraud.models import FraudAlert

logger = logging.getLogger(__name__)


def report_fraud(
    user: User, *, source: str, request: HttpRequest | None = None, **details: Any
) -> FraudAlert:
    """Open an alert and tell the administrators; ``details`` go into the audit row."""
    alert = FraudAlert.objects.create(user=user, source=source)
    record_event(
        AuditEvent.Kind.FRAUD_REPORTED, user=user, request=request, source=source, **details
    )
    admins = list(
        User.objects.filter(is_staff=True, is_active=True)
        .exclude(email="")
        .values_list("email", flat=True)
    )
    if admins:
        try:
            send_mail(
                subject=_("Fraud alert for %(user)s") % {"user": user.username},
                message=_(
                    "%(user)s reported a verification they did not ask for (%(source)s). "
                    "Their two-step sign-in is blocked until you resolve the alert in the admin."
                )
                % {"user": user.username, "source": source},
                from_email=None,
                recipient_list=admins,
            )
        except OSError:
            logger.warning("could not email administrators about a fraud alert", exc_info=True)
    return alert


def has_open_fraud_alert(user: User) -> bool:
    return has_open_fraud_alert_for(user.pk)


def has_open_fraud_alert_for(user_id: int) -> bool:
    """By id, so a made-up account (id 0) can ask the same question a real one does."""
    return FraudAlert.objects.filter(user_id=user_id, resolved_at__isnull=True).exists()


def blocked_message() -> str:
    return _(
        "Sign-in verification is blocked for this account after a fraud report. "
        "Contact your administrator."
    )


def resolve_fraud_alert(alert: FraudAlert, *, actor: User | None) -> None:
    alert.resolved_at = clock.now()
    alert.save(update_fields=["resolved_at"])
    record_event(AuditEvent.Kind.FRAUD_RESOLVED, user=alert.user, actor=actor, source=alert.source)
