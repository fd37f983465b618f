"""What policy asks of one user: which methods, whether two-step is required, what to register."""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from functools import cached_property

from django.db import transaction

from twofold.accounts.models import User
from twofold.core import clock
from twofold.methods.base import SecurityMethod
from twofold.methods.models import RegisteredMethod
from twofold.methods.registry import all_methods, get_method
from twofold.policy.models import MfaRequirement, MfaState, UserSecurityState

# Re-exported (``X as X``): callers above the methods keep reading the policy from here.
from twofold.policy.snapshot import MethodRule as MethodRule
from twofold.policy.snapshot import PolicySnapshot as PolicySnapshot
from twofold.policy.snapshot import forget_policy_snapshot as forget_policy_snapshot
from twofold.policy.snapshot import get_policy as get_policy
from twofold.policy.snapshot import method_options as method_options
from twofold.policy.snapshot import policy_snapshot as policy_snapshot


def security_state(user: User) -> UserSecurityState:
    state, _ = UserSecurityState.objects.get_or_create(user=user)
    return state


@dataclass(frozen=True)
class RegistrationNeeds:
    """How many more methods of each use the user must register."""

    two_step: int
    password_reset: int

    @property
    def satisfied(self) -> bool:
        return self.two_step == 0 and self.password_reset == 0


class UserPolicy:
    """Policy applied to one user, each fact loaded once however often it is asked."""

    def __init__(self, user: User) -> None:
        self.user = user
        self.snapshot = policy_snapshot()
        self.policy = self.snapshot.policy

    @cached_property
    def group_ids(self) -> frozenset[int]:
        if not self.snapshot.uses_groups:
            return frozenset()
        return frozenset(self.user.groups.values_list("id", flat=True))

    @cached_property
    def allowed(self) -> list[SecurityMethod]:
        """Methods the organisation offers this user, strongest first."""
        allowed = []
        for method in all_methods():
            if not method.is_available_for(self.user):
                continue
            rule = self.snapshot.method_rules.get(method.key)
            if rule is not None:
                if not rule.enabled:
                    continue
                if rule.group_ids and not rule.group_ids & self.group_ids:
                    continue
            allowed.append(method)
        return allowed

    @cached_property
    def registered(self) -> list[RegisteredMethod]:
        return list(RegisteredMethod.objects.filter(user=self.user))

    def usable(self, *, for_two_step: bool) -> list[RegisteredMethod]:
        """Registered methods that policy still allows, for sign-in or for password reset."""
        allowed = {method.key for method in self.allowed}
        usable = []
        for registered in self.registered:
            method = get_method(registered.kind)
            if method is None or registered.kind not in allowed:
                continue
            if method.for_two_step if for_two_step else method.for_password_reset:
                usable.append(registered)
        return usable

    @cached_property
    def mfa_required(self) -> bool:
        requirement = self.policy.mfa_requirement
        if requirement == MfaRequirement.EVERYONE:
            return True
        if security_state(self.user).mfa_state in (MfaState.ENABLED, MfaState.ENFORCED):
            return True
        if requirement == MfaRequirement.GROUPS:
            return bool(self.snapshot.mfa_group_ids & self.group_ids)
        return False

    @cached_property
    def registration_needs(self) -> RegistrationNeeds:
        if not self.policy.registration_required:
            return RegistrationNeeds(0, 0)
        two_step_needed = 0
        if self.mfa_required and any(method.for_two_step for method in self.allowed):
            two_step_needed = max(0, 1 - len(self.usable(for_two_step=True)))
        reset_needed = 0
        reset_kinds = {method.key for method in self.allowed if method.for_password_reset}
        if self.policy.sspr_enabled and reset_kinds:
            # Two apps of one kind are one method for reset: losing the phone loses both.
            kinds_had = {m.kind for m in self.usable(for_two_step=False)}
            wanted = min(self.policy.sspr_methods_required, len(reset_kinds))
            reset_needed = max(0, wanted - len(kinds_had))
        return RegistrationNeeds(two_step_needed, reset_needed)


def allowed_methods(user: User) -> list[SecurityMethod]:
    return UserPolicy(user).allowed


def is_allowed(user: User, method_key: str) -> bool:
    return any(method.key == method_key for method in allowed_methods(user))


def mfa_required(user: User) -> bool:
    return UserPolicy(user).mfa_required


def usable_registered_methods(user: User, *, for_two_step: bool) -> list[RegisteredMethod]:
    return UserPolicy(user).usable(for_two_step=for_two_step)


def registration_needs(user: User) -> RegistrationNeeds:
    return UserPolicy(user).registration_needs


def may_postpone_registration(user: User) -> int:
    """Days the user may still put registration off (0: not allowed, or used up)."""
    policy = policy_snapshot().policy
    if policy.postpone_days == 0:
        return 0
    started = security_state(user).postponed_since
    if started is None:
        return policy.postpone_days
    left = started + dt.timedelta(days=policy.postpone_days) - clock.now()
    # A part of a day left still counts as a day the user may skip.
    return max(0, math.ceil(left.total_seconds() / 86400))


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


def reconfirmation_due(view: UserPolicy) -> bool:
    policy = view.policy
    if policy.reconfirm_days == 0 or not view.registered:
        return False
    user = view.user
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


def interrupt_for(user: User, view: UserPolicy | None = None) -> str | None:
    """What must happen right after sign-in, before the user reaches anything else."""
    view = view or UserPolicy(user)
    if not view.registration_needs.satisfied:
        state = security_state(user)
        postponed = state.registration_postponed_until
        if (
            postponed is not None
            and postponed > clock.now()
            and may_postpone_registration(user) > 0
        ):
            return None
        return Interrupt.REGISTER
    if reconfirmation_due(view):
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
