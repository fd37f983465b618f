"""What policy asks of one user: which methods, whether two-step is required, what to register."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db import transaction

from twofold.accounts.models import User
from twofold.core import clock
from twofold.methods.base import SecurityMethod
from twofold.methods.models import RegisteredMethod
from twofold.methods.registry import all_methods, get_method
from twofold.policy.models import (
    AuthenticationPolicy,
    MethodPolicy,
    MfaRequirement,
    MfaState,
    UserSecurityState,
)


def get_policy() -> AuthenticationPolicy:
    policy, _ = AuthenticationPolicy.objects.get_or_create(pk=1)
    return policy


def security_state(user: User) -> UserSecurityState:
    state, _ = UserSecurityState.objects.get_or_create(user=user)
    return state


def allowed_methods(user: User) -> list[SecurityMethod]:
    """Methods the organisation offers this user, strongest first."""
    rules = {rule.method_key: rule for rule in MethodPolicy.objects.prefetch_related("groups")}
    group_ids = set(user.groups.values_list("id", flat=True))
    allowed = []
    for method in all_methods():
        rule = rules.get(method.key)
        if rule is not None:
            if not rule.enabled:
                continue
            rule_groups = {group.id for group in rule.groups.all()}
            if rule_groups and not rule_groups & group_ids:
                continue
        allowed.append(method)
    return allowed


def is_allowed(user: User, method_key: str) -> bool:
    return any(method.key == method_key for method in allowed_methods(user))


def mfa_required(user: User, policy: AuthenticationPolicy | None = None) -> bool:
    policy = policy or get_policy()
    if policy.mfa_requirement == MfaRequirement.EVERYONE:
        return True
    if security_state(user).mfa_state in (MfaState.ENABLED, MfaState.ENFORCED):
        return True
    if policy.mfa_requirement == MfaRequirement.GROUPS:
        return policy.mfa_groups.filter(user=user).exists()
    return False


def usable_registered_methods(user: User, *, for_two_step: bool) -> list[RegisteredMethod]:
    """Registered methods that policy still allows, for sign-in or for password reset."""
    allowed = {method.key for method in allowed_methods(user)}
    usable = []
    for registered in RegisteredMethod.objects.filter(user=user):
        method = get_method(registered.kind)
        if method is None or registered.kind not in allowed:
            continue
        if method.for_two_step if for_two_step else method.for_password_reset:
            usable.append(registered)
    return usable


@dataclass(frozen=True)
class RegistrationNeeds:
    """How many more methods of each use the user must register."""

    two_step: int
    password_reset: int

    @property
    def satisfied(self) -> bool:
        return self.two_step == 0 and self.password_reset == 0


def registration_needs(user: User) -> RegistrationNeeds:
    policy = get_policy()
    if not policy.registration_required:
        return RegistrationNeeds(0, 0)
    allowed = allowed_methods(user)
    two_step_needed = 0
    if mfa_required(user, policy) and any(method.for_two_step for method in allowed):
        have = len(usable_registered_methods(user, for_two_step=True))
        two_step_needed = max(0, 1 - have)
    reset_needed = 0
    reset_kinds = {method.key for method in allowed if method.for_password_reset}
    if policy.sspr_enabled and reset_kinds:
        # Two apps of one kind are one method for reset: losing the phone loses both.
        kinds_had = {m.kind for m in usable_registered_methods(user, for_two_step=False)}
        wanted = min(policy.sspr_methods_required, len(reset_kinds))
        reset_needed = max(0, wanted - len(kinds_had))
    return RegistrationNeeds(two_step_needed, reset_needed)


def may_postpone_registration(user: User) -> int:
    """Days the user may still put registration off (0: not allowed, or used up)."""
    policy = get_policy()
    if policy.postpone_days == 0:
        return 0
    state = security_state(user)
    started = state.postponed_since or clock.now()
    deadline = started + dt.timedelta(days=policy.postpone_days)
    remaining = (deadline - clock.now()).days
    return max(0, remaining)


def postpone_registration(user: User) -> bool:
    """Skip registration for one day, within the days policy allows; False when not allowed."""
    if may_postpone_registration(user) <= 0:
        return False
    with transaction.atomic():
        state = UserSecurityState.objects.select_for_update().get(pk=security_state(user).pk)
        now = clock.now()
        state.postponed_since = state.postponed_since or now
        state.registration_postponed_until = now + dt.timedelta(days=1)
        state.save(update_fields=["postponed_since", "registration_postponed_until"])
    return True


def reconfirmation_due(user: User) -> bool:
    policy = get_policy()
    if policy.reconfirm_days == 0:
        return False
    if not RegisteredMethod.objects.filter(user=user).exists():
        return False
    confirmed = security_state(user).info_confirmed_at
    if confirmed is None:
        return False
    return clock.now() - confirmed > dt.timedelta(days=policy.reconfirm_days)


def mark_info_confirmed(user: User) -> None:
    state = security_state(user)
    state.info_confirmed_at = clock.now()
    state.registration_postponed_until = None
    state.postponed_since = None
    if state.mfa_state == MfaState.ENABLED:
        state.mfa_state = MfaState.ENFORCED  # registered now, so the requirement is in force
    state.save()


class Interrupt:
    REGISTER = "register"
    RECONFIRM = "reconfirm"


def interrupt_for(user: User) -> str | None:
    """What must happen right after sign-in, before the user reaches anything else."""
    if not registration_needs(user).satisfied:
        state = security_state(user)
        postponed = state.registration_postponed_until
        if (
            postponed is not None
            and postponed > clock.now()
            and may_postpone_registration(user) > 0
        ):
            return None
        return Interrupt.REGISTER
    if reconfirmation_due(user):
        return Interrupt.RECONFIRM
    return None


def require_reregistration(user: User, *, actor: User | None = None) -> int:
    """Admin action: delete the user's security info and end their sessions.

    The next sign-in then walks them through registration again, as after a lost phone.
    """
    from twofold.accounts.services import revoke_sessions
    from twofold.audit.models import AuditEvent
    from twofold.audit.services import record_event
    from twofold.signin.trusted import forget_browsers

    with transaction.atomic():
        deleted, _ = RegisteredMethod.objects.filter(user=user).delete()
        forget_browsers(user)
        record_event(
            AuditEvent.Kind.REREGISTRATION_REQUIRED, user=user, actor=actor, deleted=deleted
        )
    revoke_sessions(user)
    return deleted
