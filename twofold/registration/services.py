"""The "Keep your account secure" wizard: which method to ask for next."""

from __future__ import annotations

from dataclasses import dataclass

from twofold.accounts.models import User
from twofold.methods.base import SecurityMethod
from twofold.methods.models import RegisteredMethod
from twofold.methods.registry import get_method, methods_in_suggested_order
from twofold.policy.services import (
    RegistrationNeeds,
    allowed_methods,
    may_postpone_registration,
    registration_needs,
    usable_registered_methods,
)


def methods_that_help(user: User, needs: RegistrationNeeds | None = None) -> list[SecurityMethod]:
    """Allowed methods that would meet an open need, strongest (the suggested one) first."""
    needs = needs or registration_needs(user)
    have_for_reset = {m.kind for m in usable_registered_methods(user, for_two_step=False)}
    allowed = {method.key for method in allowed_methods(user)}
    had = set(RegisteredMethod.objects.filter(user=user).values_list("kind", flat=True))
    helpful = []
    for method in methods_in_suggested_order():
        if method.key not in allowed or (method.one_per_person and method.key in had):
            continue
        if needs.two_step and method.for_two_step:
            helpful.append(method)
        elif (
            needs.password_reset and method.for_password_reset and method.key not in have_for_reset
        ):
            helpful.append(method)
    return helpful


def remaining_steps(needs: RegistrationNeeds) -> int:
    # Most methods serve both uses, so one registration usually closes both needs.
    return max(needs.two_step, needs.password_reset)


def method_by_key(key: str) -> SecurityMethod | None:
    return get_method(key)


def wizard_finished(user: User) -> bool:
    """The person has security info and nothing more is asked: the wizard has no step left."""
    return (
        registration_needs(user).satisfied and RegisteredMethod.objects.filter(user=user).exists()
    )


@dataclass(frozen=True)
class RegistrationReminder:
    """What My account tells someone who put registration off: what is missing, and until when."""

    needs: RegistrationNeeds
    days_left: int


def registration_reminder(user: User) -> RegistrationReminder | None:
    needs = registration_needs(user)
    if needs.satisfied:
        return None
    return RegistrationReminder(needs=needs, days_left=may_postpone_registration(user))
