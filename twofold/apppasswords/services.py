"""App passwords: for apps that can't do two-step sign-in (mail clients, scripts, devices)."""

from __future__ import annotations

import hmac
import secrets
import string

from django.db import transaction
from django.http import HttpRequest
from django.utils.translation import gettext as _

from twofold.accounts import lockout
from twofold.accounts.models import User
from twofold.accounts.principal_names import normalise_principal_name
from twofold.apppasswords.models import AppPassword
from twofold.audit.models import AuditEvent
from twofold.audit.services import record_event
from twofold.core import clock
from twofold.core.keyed_hash import keyed_digest
from twofold.methods.stepup import require_step_up

MAX_PER_USER = 40
LENGTH = 16


class AppPasswordRefused(Exception):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def _digest(password: str) -> str:
    return keyed_digest(b"app-password", password)


def allowed(user: User) -> bool:
    from twofold.policy.services import policy_snapshot

    return bool(policy_snapshot().policy.app_passwords_allowed)


def create_app_password(
    user: User, name: str, *, request: HttpRequest | None = None
) -> tuple[AppPassword, str]:
    """Returns the new record and its password, which is never shown or stored again."""
    require_step_up(request, user)
    if not allowed(user):
        raise AppPasswordRefused(_("Your organisation doesn't allow app passwords."))
    # 16 lowercase letters: about 75 bits, easy to type on a phone keyboard.
    password = "".join(secrets.choice(string.ascii_lowercase) for _ in range(LENGTH))
    with transaction.atomic():
        # Lock the user row so two tabs can't both create the 40th.
        User.objects.select_for_update().filter(pk=user.pk).first()
        if AppPassword.objects.filter(user=user).count() >= MAX_PER_USER:
            raise AppPasswordRefused(
                _(
                    "You have %(max)d app passwords, the most allowed. "
                    "Delete one you no longer use first."
                )
                % {"max": MAX_PER_USER}
            )
        record = AppPassword.objects.create(user=user, name=name.strip(), digest=_digest(password))
        record_event(
            AuditEvent.Kind.APP_PASSWORD_CREATED, user=user, request=request, name=record.name
        )
    return record, password


def delete_app_password(
    user: User, app_password_id: int, *, request: HttpRequest | None = None
) -> bool:
    require_step_up(request, user)
    deleted, _count = AppPassword.objects.filter(user=user, pk=app_password_id).delete()
    if deleted:
        record_event(AuditEvent.Kind.APP_PASSWORD_DELETED, user=user, request=request)
    return bool(deleted)


def authenticate_app_password(principal_name: str, password: str, address: str = "") -> User | None:
    """The user, when the password is one of their app passwords; None otherwise.

    Failures count per account *and source address*: a stranger's guesses lock only the
    stranger's address, never the device that holds the right app password.
    """
    name = normalise_principal_name(principal_name)
    if len(password) > 256:
        return None
    attempt = lockout.begin_attempt(lockout.app_password_guards(name, address), password)
    if not attempt.allowed:
        return None
    digest = _digest(password.replace(" ", "").lower())
    user = User.objects.filter(username=name, is_active=True).first()
    match = None
    if user is not None and allowed(user):
        for record in AppPassword.objects.filter(user=user):
            if hmac.compare_digest(record.digest, digest):
                match = record
    if match is None:
        lockout.finish_attempt(attempt, lockout.Result.FAILED)
        return None
    lockout.finish_attempt(attempt, lockout.Result.SUCCEEDED)
    AppPassword.objects.filter(pk=match.pk).update(last_used_at=clock.now())
    return user
