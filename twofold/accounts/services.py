"""Account use-cases shared by the CLI, the admin and the web pages."""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.dispatch import Signal
from django.http import HttpRequest
from django.utils.translation import gettext as _

from twofold.accounts.models import User, UserSession
from twofold.accounts.phones import DIRECTORY_USES, normalise_phone_number
from twofold.accounts.principal_names import normalise_principal_name, validate_principal_name
from twofold.accounts.sessions import SessionStore
from twofold.audit.models import AuditEvent
from twofold.audit.services import record_event
from twofold.core import clock, shared_cache

# Lets other apps drop what a new password should end (remembered browsers, ...).
user_password_changed = Signal()


@dataclass(frozen=True)
class NewUser:
    principal_name: str
    display_name: str = ""
    password: str | None = None
    mobile_phone: str = ""
    office_phone: str = ""
    office_phone_extension: str = ""
    is_admin: bool = False


def create_user(new: NewUser, *, actor: User | None = None) -> User:
    """Create an account after checking every field; raises ValidationError with all problems."""
    errors: dict[str, list[str]] = {}
    principal_name = normalise_principal_name(new.principal_name)
    try:
        validate_principal_name(principal_name)
    except ValidationError as error:
        errors["principal_name"] = error.messages
    else:
        if User.objects.filter(username=principal_name).exists():
            errors["principal_name"] = [_("An account with this name already exists.")]
    phones = {}
    for field, use in DIRECTORY_USES.items():
        raw = getattr(new, field)
        if raw:
            try:
                phones[field] = normalise_phone_number(raw, use)
            except ValidationError as error:
                errors[field] = error.messages
    if new.office_phone_extension and not new.office_phone_extension.isdigit():
        errors["office_phone_extension"] = [_("An extension has digits only.")]
    user = User(
        username=principal_name,
        display_name=new.display_name.strip()[:256],
        email=principal_name,
        office_phone_extension=new.office_phone_extension,
        is_staff=new.is_admin,
        is_superuser=new.is_admin,
        **phones,
    )
    if new.password is not None:
        try:
            password_validation.validate_password(new.password, user)
        except ValidationError as error:
            errors["password"] = error.messages
    if errors:
        raise ValidationError(errors)
    if new.password is None:
        user.set_unusable_password()
    else:
        user.set_password(new.password)
        user.password_changed_at = clock.now()
    with transaction.atomic():
        user.save()
        record_event(AuditEvent.Kind.USER_CREATED, user=user, actor=actor, admin=new.is_admin)
    return user


def change_password(
    user: User,
    new_password: str,
    *,
    request: HttpRequest | None = None,
    by_admin: User | None = None,
) -> None:
    """Set a new password (already validated by the caller's form) and end other sessions."""
    keep = request.session.session_key if request is not None and by_admin is None else None
    with transaction.atomic():
        user.set_password(new_password)
        user.password_changed_at = clock.now()
        user.save(update_fields=["password", "password_changed_at"])
        kind = (
            AuditEvent.Kind.PASSWORD_SET_BY_ADMIN if by_admin else AuditEvent.Kind.PASSWORD_CHANGED
        )
        record_event(kind, user=user, actor=by_admin or user, request=request)
    # Someone who knew the old password must not stay signed in elsewhere.
    revoke_sessions(user, keep_session_key=keep)
    user_password_changed.send(sender=User, user=user)


def set_account_enabled(user: User, enabled: bool, *, actor: User | None = None) -> None:
    with transaction.atomic():
        user.is_active = enabled
        user.save(update_fields=["is_active"])
        kind = AuditEvent.Kind.USER_ENABLED if enabled else AuditEvent.Kind.USER_DISABLED
        record_event(kind, user=user, actor=actor)
    if not enabled:
        revoke_sessions(user)


def revoke_sessions(user: User, *, keep_session_key: str | None = None) -> int:
    """End every server-side session of the user (except, optionally, the current one)."""
    sessions = UserSession.objects.filter(user=user)
    if keep_session_key:
        sessions = sessions.exclude(session_key=keep_session_key)
    keys = list(sessions.values_list("session_key", flat=True))
    sessions.delete()
    if not keep_session_key:
        # Also refuse any copy of these sessions that the cache still holds (say it was
        # unreachable just now and comes back with them): their auth hash is outdated.
        User.objects.filter(pk=user.pk).update(session_generation=F("session_generation") + 1)
        user.refresh_from_db(fields=["session_generation"])
    # The rows are gone; a cache outage must not stop what comes after (forgetting
    # remembered browsers). Copies left in an unreachable cache are refused anyway: their
    # auth hash (password, session generation) no longer matches, or the user is inactive.
    shared_cache.delete_many(
        [SessionStore.cache_key_prefix + key for key in keys], what="session cache"
    )
    if keys:
        record_event(AuditEvent.Kind.SESSIONS_REVOKED, user=user, count=len(keys))
    return len(keys)


def unlock_account(principal_name: str) -> None:
    """Forget the sign-in, reset portal, app password and code lockouts of a name."""
    from twofold.accounts import lockout

    subjects = [
        principal_name,
        lockout.reset_subject(principal_name),
        lockout.app_password_subject(principal_name),
    ]
    user = User.objects.filter(username=normalise_principal_name(principal_name)).first()
    if user is not None:
        subjects.append(lockout.code_subject(user.pk))
    lockout.clear_subjects(*subjects)
