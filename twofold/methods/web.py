"""Page helpers shared by the wizard, the Security info page, sign-in and step-up.

They never look at a method's kind: everything goes through SecurityMethod.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django import forms
from django.http import HttpRequest
from django.urls import reverse

from twofold.accounts.models import User
from twofold.accounts.sessions import (
    SESSION_AMR,
    SESSION_PENDING_REGISTRATIONS,
    SESSION_VERIFIED_AT,
)
from twofold.core import clock
from twofold.core.redirects import asks_to_resend
from twofold.methods import challenges, encryption
from twofold.methods.base import SecurityMethod, VerificationFailed
from twofold.methods.flows import (
    VerificationResult,
    already_has_message,
    check_may_add,
    method_of,
    register_method,
    strongest_two_step,
)
from twofold.methods.models import RegisteredMethod
from twofold.methods.purposes import Purpose
from twofold.policy.services import is_allowed, usable_registered_methods

# The registration post that drops the pending state: "Use a different number/address".
START_OVER = "start_over"


def pending_registration(
    request: HttpRequest, method: SecurityMethod, user: User
) -> dict[str, Any]:
    """The method's registration in progress, begun on first use and kept across reloads."""
    stored: dict[str, str] = request.session.get(SESSION_PENDING_REGISTRATIONS, {})
    token = stored.get(method.key)
    if token:
        try:
            return encryption.decrypt_json(token)
        except encryption.InvalidToken:
            pass  # a rotated-away key or tampering: start over
    pending = method.begin_registration(user)
    _store_pending_registration(request, method, pending)
    return pending


def _store_pending_registration(
    request: HttpRequest, method: SecurityMethod, pending: dict[str, Any]
) -> None:
    stored = dict(request.session.get(SESSION_PENDING_REGISTRATIONS, {}))
    stored[method.key] = encryption.encrypt_json(pending)
    request.session[SESSION_PENDING_REGISTRATIONS] = stored


def forget_pending_registration(request: HttpRequest, method: SecurityMethod) -> None:
    stored = dict(request.session.get(SESSION_PENDING_REGISTRATIONS, {}))
    stored.pop(method.key, None)
    request.session[SESSION_PENDING_REGISTRATIONS] = stored


def forget_pending_registrations(request: HttpRequest) -> None:
    """Drop every registration in progress (choosing a different method leaves them)."""
    request.session.pop(SESSION_PENDING_REGISTRATIONS, None)


def registration_context(
    request: HttpRequest,
    method: SecurityMethod,
    user: User,
    form: forms.Form | None = None,
    *,
    add_url_name: str,
    submit_label: str,
) -> dict[str, Any]:
    """The registration page's context; ``add_url_name`` adds a method in the caller's flow
    (the wizard or Security info), and links to the method's fallback stay in that flow.
    ``submit_label`` is the page's button ("Next", "Add"), which the steps' copy names."""
    pending = pending_registration(request, method, user)
    return {
        "method": method,
        "form": form or method.make_registration_form(user, pending=pending),
        "fallback_url": _fallback_url(method, user, add_url_name),
        "submit_label": submit_label,
        "start_over": START_OVER,
        # A kind one may have once, already there: the page says so instead of a form.
        "already_registered": already_has_message(user, method),
        **method.registration_context(user, pending, request),
    }


def _fallback_url(method: SecurityMethod, user: User, add_url_name: str) -> str:
    """Where to register the method offered in this one's place, when policy allows it."""
    fallback = method.fallback_key
    if fallback is None or not is_allowed(user, fallback):
        return ""
    return reverse(add_url_name, args=[fallback])


@dataclass
class RegistrationPost:
    """What a registration post came to: saved, a step taken (code sent), started over
    (the page shows its empty form again), or refused."""

    form: forms.Form
    registered: RegisteredMethod | None = None
    advanced: bool = False
    started_over: bool = False

    @property
    def status(self) -> int:
        return 200 if self.registered is not None or self.advanced else 400


def try_register(request: HttpRequest, method: SecurityMethod, user: User) -> RegistrationPost:
    """Validate the posted registration form; take the next step or save the method."""
    if request.POST.get("action") == START_OVER:
        # "Use a different number": the number or address a code went to is dropped.
        forget_pending_registration(request, method)
        return RegistrationPost(method.make_registration_form(user), started_over=True)
    pending = pending_registration(request, method, user)
    form = method.make_registration_form(user, request.POST, pending=pending)
    if not form.is_valid():
        return RegistrationPost(form)
    try:
        # Before anything is sent: no text or call for a method that can't be added.
        check_may_add(user, method)
        advanced = method.advance_registration(user, pending, form.cleaned_data, clock.now())
        if advanced is not None:
            _store_pending_registration(request, method, advanced)
            return RegistrationPost(
                method.make_registration_form(user, pending=advanced), advanced=True
            )
        registered = register_method(user, method, pending, form.cleaned_data, request=request)
    except VerificationFailed as failure:
        form.add_error(None, failure.message)
        return RegistrationPost(form)
    forget_pending_registration(request, method)
    # Registering proved possession of the new factor: that is a strong verification.
    mark_verified(request, method)
    return RegistrationPost(form, registered=registered)


def mark_verified(request: HttpRequest, method: SecurityMethod) -> None:
    request.session[SESSION_VERIFIED_AT] = clock.now().timestamp()
    amr = list(request.session.get(SESSION_AMR, ["pwd"]))
    if method.key not in amr:
        amr.append(method.key)
    request.session[SESSION_AMR] = amr


def choose_method(user: User, requested_id: str | None) -> RegisteredMethod | None:
    """The method to challenge: the one asked for, else the default, else the strongest."""
    usable = usable_registered_methods(user, for_two_step=True)
    if requested_id and requested_id.isdigit():
        chosen = next((m for m in usable if m.pk == int(requested_id)), None)
        if chosen is not None:
            return chosen
    default = next((m for m in usable if m.is_default), None)
    return default or strongest_two_step(usable)


def challenge_context(
    request: HttpRequest,
    registered: RegisteredMethod,
    form: forms.Form | None = None,
    *,
    purpose: Purpose = Purpose.SIGN_IN,
) -> dict[str, Any]:
    method = method_of(registered)
    if form is None:
        # Begins (sends) only when no open challenge exists: a reload must not send again.
        challenge = challenges.open_challenge(
            request, purpose, method, registered, again=asks_to_resend(request)
        )
    else:
        current = challenges.current_challenge(request, purpose, method, registered)
        challenge = current or challenges.Challenge(method.key)
    return {
        "method": method,
        "registered": registered,
        "detail": method.describe(registered),
        "form": form or challenges.challenge_form(method, challenge),
        "other_methods": [
            (other, method_of(other))
            for other in usable_registered_methods(registered.user, for_two_step=True)
            if other.pk != registered.pk
        ],
        **challenges.challenge_page_context(request, method, registered, challenge),
    }


def try_verify(
    request: HttpRequest, registered: RegisteredMethod, purpose: Purpose
) -> tuple[VerificationResult | None, forms.Form]:
    """Validate the posted answer and verify it; (None, form) when the form itself is invalid."""
    method = method_of(registered)
    challenge = challenges.current_challenge(request, purpose, method, registered)
    form = challenges.challenge_form(method, challenge, request.POST)
    if not form.is_valid():
        return None, form
    result = challenges.verify_challenge(request, purpose, method, registered, form.cleaned_data)
    if result.ok:
        mark_verified(request, method)
    else:
        form.add_error(None, result.message)
    return result, form


def answer_status(result: VerificationResult | None) -> int:
    """HTTP status for a refused answer: unreadable form, wrong answer, or locked out."""
    if result is None:
        return 400
    return 429 if result.retry_after_seconds else 401
