"""The password reset flow: who, which verifications are done, and the new password.

Everything a person sees is the same whether or not the named account exists, has the
chosen method, or owns the typed address: an attacker learns nothing by asking.
"""

from __future__ import annotations

import functools
import logging
from dataclasses import asdict, dataclass, field, fields
from typing import Any

from django import forms
from django.conf import settings
from django.core.mail import send_mail
from django.http import HttpRequest
from django.utils.translation import gettext as _

from twofold.accounts import lockout
from twofold.accounts.models import User
from twofold.accounts.services import change_password
from twofold.audit.models import AuditEvent
from twofold.audit.services import record_event
from twofold.core import clock, ratelimit
from twofold.core.network import client_ip
from twofold.core.ratelimit import Limit, LimitReached
from twofold.methods import challenges
from twofold.methods.base import SecurityMethod
from twofold.methods.challenges import Challenge, Purpose
from twofold.methods.models import RegisteredMethod
from twofold.methods.registry import all_methods, get_method
from twofold.policy.services import policy_snapshot, usable_registered_methods
from twofold.signin.familiar import source_for

FLOW_KEY = "twofold_reset"
FLOW_SECONDS = 15 * 60
STARTS_PER_IP_HOUR = 30
STARTS_PER_NAME_HOUR = 10

logger = logging.getLogger(__name__)


class ResetRefused(Exception):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass
class ResetFlow:
    name: str
    user_id: int | None
    started: float
    verified: list[str] = field(default_factory=list)
    kind: str = ""
    contact: str = ""
    contact_ok: bool = False

    # The flow is rebuilt from the session on every request, so these are looked up once
    # per request; save_flow keeps only the fields.

    @functools.cached_property
    def user(self) -> User | None:
        # Timing: an unknown name is looked up too (id 0 is no one's), as a real one is.
        return User.objects.filter(pk=self.user_id or 0, is_active=True).first()

    @functools.cached_property
    def usable_methods(self) -> list[RegisteredMethod]:
        # Timing: an unknown name's methods are looked up as well (a stand-in no row belongs
        # to), so the time taken doesn't tell which names have accounts.
        usable = usable_registered_methods(self.user or _nobody(self.name), for_two_step=False)
        return usable if self.user is not None else []


class ResetClosed(ResetRefused):
    """The organisation turned self-service password reset off."""

    def __init__(self) -> None:
        super().__init__(
            _(
                "Self-service password reset isn't available for your organisation. "
                "Contact your administrator or help desk to reset your password."
            )
        )


def portal_open() -> bool:
    return bool(policy_snapshot().policy.sspr_enabled)


def start_reset(request: HttpRequest, principal_name: str) -> None:
    if not portal_open():
        raise ResetClosed
    try:
        # Counted in the database: each start can send texts, calls and emails, so a
        # cache outage must not lift the limit.
        ratelimit.take(
            Limit("reset-ip", client_ip(request), 3600, STARTS_PER_IP_HOUR),
            Limit("reset-name", principal_name, 3600, STARTS_PER_NAME_HOUR),
        )
    except LimitReached:
        raise ResetRefused(
            _("Too many password resets were started. Try again in an hour.")
        ) from None
    user = User.objects.filter(username=principal_name, is_active=True).first()
    flow = ResetFlow(
        name=principal_name, user_id=user.pk if user else None, started=clock.now().timestamp()
    )
    save_flow(request, flow)
    record_event(
        AuditEvent.Kind.PASSWORD_RESET_STARTED,
        user=user,
        principal_name=principal_name,
        request=request,
    )


def current_flow(request: HttpRequest) -> ResetFlow | None:
    raw = request.session.get(FLOW_KEY)
    if not isinstance(raw, dict):
        return None
    # Only the fields this version knows: a session saved by an older one must not fail.
    known = {f.name for f in fields(ResetFlow)}
    try:
        flow = ResetFlow(**{key: value for key, value in raw.items() if key in known})
    except TypeError:
        end_flow(request)
        return None
    if clock.now().timestamp() - flow.started > FLOW_SECONDS:
        end_flow(request)
        return None
    return flow


def save_flow(request: HttpRequest, flow: ResetFlow) -> None:
    request.session[FLOW_KEY] = asdict(flow)


def end_flow(request: HttpRequest) -> None:
    request.session.pop(FLOW_KEY, None)
    challenges.end_challenges(request, Purpose.PASSWORD_RESET)


def steps_required() -> int:
    return int(policy_snapshot().policy.sspr_methods_required)


def offered_methods(flow: ResetFlow) -> list[SecurityMethod]:
    """Every reset method the organisation has on, whoever asks: never per account."""
    rules = policy_snapshot().method_rules
    return [
        method
        for method in all_methods()
        if method.for_password_reset
        and (method.key not in rules or rules[method.key].enabled)
        and method.key not in flow.verified
    ]


def _registered(flow: ResetFlow, kind: str) -> RegisteredMethod | None:
    return next((m for m in flow.usable_methods if m.kind == kind), None)


def _nobody(name: str) -> User:
    stand_in = User(pk=0, username=name, is_active=True)
    stand_in._state.adding = False  # queried like a saved user; never saved
    return stand_in


def choose_method(request: HttpRequest, flow: ResetFlow, method: SecurityMethod) -> None:
    flow.kind, flow.contact, flow.contact_ok = method.key, "", False
    challenges.end_challenge(request, Purpose.PASSWORD_RESET, method, None)
    save_flow(request, flow)


def give_contact(request: HttpRequest, flow: ResetFlow, method: SecurityMethod, typed: str) -> None:
    registered = _registered(flow, method.key)
    flow.contact = typed.strip()
    flow.contact_ok = registered is not None and method.contact_matches(registered, typed)
    challenges.end_challenge(request, Purpose.PASSWORD_RESET, method, None)
    save_flow(request, flow)


def needs_contact(flow: ResetFlow, method: SecurityMethod) -> bool:
    return method.reset_contact_label is not None and not flow.contact


def _challenged(flow: ResetFlow, method: SecurityMethod) -> RegisteredMethod | None:
    """The method the challenge is real for; None makes it a look-alike (no such account or
    method, or a typed address or number that isn't the account's)."""
    registered = _registered(flow, method.key)
    if registered is None or (method.reset_contact_label is not None and not flow.contact_ok):
        return None
    return registered


def begin_reset_challenge(
    request: HttpRequest, flow: ResetFlow, method: SecurityMethod, *, again: bool = False
) -> Challenge:
    """Begin the challenge (send the code...), or reuse the open one; made up for a wrong
    account. Before a first check passes it reaches nobody unasked (quiet_challenge_state)."""
    return challenges.open_challenge(
        request,
        Purpose.PASSWORD_RESET,
        method,
        _challenged(flow, method),
        seed=challenges.look_alike_seed(flow.name),
        contact=flow.contact,
        again=again,
        quiet=not flow.verified,
    )


def _current(request: HttpRequest, method: SecurityMethod) -> Challenge | None:
    return challenges.current_challenge(request, Purpose.PASSWORD_RESET, method, None)


def page_context(
    request: HttpRequest, flow: ResetFlow, method: SecurityMethod, challenge: Challenge | None
) -> dict[str, Any]:
    """What the challenge page needs (a key's options...), real or made up alike."""
    challenge = challenge or _current(request, method)
    if challenge is None:
        return {"verify_button": method.page_verify_button({})}
    return challenges.challenge_page_context(request, method, _challenged(flow, method), challenge)


def challenge_form(request: HttpRequest, method: SecurityMethod, data: Any = None) -> forms.Form:
    return challenges.challenge_form(method, _current(request, method), data)


@dataclass(frozen=True)
class Answer:
    ok: bool
    message: str = ""
    locked: bool = False


def answer_challenge(
    request: HttpRequest, flow: ResetFlow, method: SecurityMethod, cleaned_data: dict[str, Any]
) -> Answer:
    # Guessing codes or answers at the reset portal locks the portal for that name (real
    # or not), from unfamiliar devices only, and never the user's sign-in or second step:
    # strangers must not be able to lock a user out of anything by failing here.
    attempt = lockout.begin_attempt(lockout.reset_guards(flow.name, source_for(request, flow.name)))
    if not attempt.allowed:
        return Answer(False, _locked_message(), locked=True)
    result = challenges.verify_challenge(
        request,
        Purpose.PASSWORD_RESET,
        method,
        _challenged(flow, method),
        cleaned_data,
        guards=(),
        principal_name=flow.name,
    )
    if result.ok:
        lockout.finish_attempt(attempt, lockout.Result.SUCCEEDED)
        flow.verified.append(method.key)
        flow.kind, flow.contact, flow.contact_ok = "", "", False
        save_flow(request, flow)
        return Answer(True)
    # Every wrong answer counts, the same one sent again too. "Not answered yet" counts as
    # well: a made-up challenge can't tell it apart, and real and unknown names must lock
    # alike or the lockout would say which is which.
    after = lockout.finish_attempt(attempt, lockout.Result.FAILED)
    if after.locked:
        return Answer(False, _locked_message(), locked=True)
    # One message for every refusal: the method's own might differ between real and made up.
    return Answer(
        False, _("That didn't work. Check what you entered and try again, or choose another way.")
    )


def _locked_message() -> str:
    return _("Too many wrong answers. Wait a few minutes before you try again.")


def verified_enough(flow: ResetFlow) -> bool:
    return flow.user is not None and len(flow.verified) >= steps_required()


def complete_reset(request: HttpRequest, user: User, new_password: str) -> None:
    """Set the password, end every session and remembered browser, tell the user.

    Raises ResetRefused (ResetClosed when the organisation turned reset off meanwhile).
    """
    if not portal_open():
        raise ResetClosed
    # A reset that keeps the password is no reset: a leaked one would stay valid.
    if user.check_password(new_password):
        raise ResetRefused(
            _("Choose a new password: it can't be the same as your current password.")
        )
    change_password(user, new_password, request=None)
    if policy_snapshot().policy.sspr_unlocks_account:
        # Proving identity twice over is stronger than waiting out a lockout.
        lockout.clear_subjects(user.username)
    record_event(AuditEvent.Kind.PASSWORD_RESET, user=user, request=request)
    end_flow(request)
    _notify(user)


def _notify(user: User) -> None:
    recipients = {user.email} if user.email else set()
    for registered in RegisteredMethod.objects.filter(user=user):
        method = get_method(registered.kind)
        address = method.notice_address(registered) if method is not None else None
        if address:
            recipients.add(address)
    if not recipients:
        return
    organisation = settings.TWOFOLD_ORGANISATION_NAME
    subject = _("Your %(organisation)s password was reset") % {"organisation": organisation}
    body = _(
        "The password of %(account)s was just reset, and every session was signed out. "
        "If this wasn't you, contact your administrator right away."
    ) % {"account": user.username}
    # One message per address: the work and the personal address must not see each other.
    for recipient in sorted(recipients):
        try:
            send_mail(subject=subject, message=body, from_email=None, recipient_list=[recipient])
        except OSError:
            logger.warning("could not send the password reset notice to one address")


def method_for(kind: str) -> SecurityMethod | None:
    method = get_method(kind)
    return method if method is not None and method.for_password_reset else None
