"""The policy as methods read it: one cached snapshot and each method's options.

Only models below: methods import this, and ``policy.services`` (which imports the method
registry) builds on it.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

from twofold.core import shared_cache
from twofold.core.caching import cache_seconds
from twofold.policy.models import AuthenticationPolicy, MethodPolicy

logger = logging.getLogger(__name__)


def get_policy() -> AuthenticationPolicy:
    """The policy row, for editing; read paths use the cached ``policy_snapshot()``."""
    policy, _ = AuthenticationPolicy.objects.get_or_create(pk=1)
    return policy


@dataclass(frozen=True)
class MethodRule:
    enabled: bool
    group_ids: frozenset[int]
    options: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class PolicySnapshot:
    policy: AuthenticationPolicy
    mfa_group_ids: frozenset[int]
    method_rules: dict[str, MethodRule]

    @property
    def uses_groups(self) -> bool:
        return bool(self.mfa_group_ids) or any(r.group_ids for r in self.method_rules.values())


_SNAPSHOT_KEY = "policy:snapshot:v1"


def policy_snapshot() -> PolicySnapshot:
    """The whole policy in one cached object: sign-in reads it several times per request."""
    # The cache (Redis) being down must not stop sign-in: the database has the policy.
    snapshot = shared_cache.get(_SNAPSHOT_KEY, what="policy cache")
    if isinstance(snapshot, PolicySnapshot):
        return snapshot
    policy = get_policy()
    snapshot = PolicySnapshot(
        policy=policy,
        mfa_group_ids=frozenset(policy.mfa_groups.values_list("id", flat=True)),
        method_rules={
            rule.method_key: MethodRule(
                rule.enabled,
                frozenset(group.id for group in rule.groups.all()),
                dict(rule.options or {}),
            )
            for rule in MethodPolicy.objects.prefetch_related("groups")
        },
    )
    shared_cache.set(_SNAPSHOT_KEY, snapshot, cache_seconds(300), what="policy cache")
    return snapshot


def forget_policy_snapshot(**kwargs: object) -> None:
    if not shared_cache.delete(_SNAPSHOT_KEY, what="policy cache"):
        logger.warning(
            "policy edited while the cache is unreachable: once it is back, it may serve "
            "the old policy for up to %d s",
            cache_seconds(300),
        )


def method_options(method_key: str) -> dict[str, Any]:
    """The admin's options for one kind of method ({} when none were set)."""
    rule = policy_snapshot().method_rules.get(method_key)
    return dict(rule.options) if rule is not None else {}
