"""Step-up: adding, changing or removing security info needs a verification minutes old.

Checked by the flow functions themselves, so the Security info page, the wizard and any
API get it alike. It stops someone at an unlocked, signed-in browser (or holding a stolen
session) from adding their own authenticator, removing the owner's, or making app passwords.
"""

from __future__ import annotations

from datetime import datetime

from django.http import HttpRequest

from twofold.accounts.models import User
from twofold.accounts.sessions import SESSION_SIGNED_IN_AT, SESSION_VERIFIED_AT
from twofold.core import clock

# Security info changes need a strong verification at most this old.
STEP_UP_SECONDS = 10 * 60


class StepUpRequired(Exception):
    """Nothing was changed: the person must verify their identity again first."""


def verified_recently(request: HttpRequest, user: User) -> bool:
    """Whether a security info change may go ahead without asking to verify again."""
    from twofold.policy.services import usable_registered_methods

    if getattr(request.user, "pk", None) != user.pk:
        return False  # a session may change only its own user's security info
    verified_at = request.session.get(SESSION_VERIFIED_AT)
    if verified_at and clock.now().timestamp() - float(verified_at) < STEP_UP_SECONDS:
        return True
    if usable_registered_methods(user, for_two_step=True):
        return False
    # No second factor to ask for yet: a fresh password sign-in is the strongest proof.
    signed_in_at = request.session.get(SESSION_SIGNED_IN_AT)
    if not signed_in_at:
        return False
    age = clock.now() - datetime.fromisoformat(signed_in_at)
    return age.total_seconds() < STEP_UP_SECONDS


def require_step_up(request: HttpRequest | None, user: User) -> None:
    """Raise StepUpRequired unless the request's session verified the user recently.

    ``request`` is None only for server-side tools (the CLI, administrators' pages), which
    act on their operator's own authority, never on a user's browser session.
    """
    if request is not None and not verified_recently(request, user):
        raise StepUpRequired
