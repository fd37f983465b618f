"""/api/v1/policies/authenticationMethodsPolicy: which methods are offered, and to whom."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Router, Schema

from twofold.api.security import read_auth
from twofold.api.users import ERRORS
from twofold.methods.registry import methods_in_suggested_order
from twofold.policy.snapshot import policy_snapshot

router = Router(tags=["policies"])


class IncludeTarget(Schema):
    targetType: str
    id: str


class MethodConfiguration(Schema):
    id: str
    displayName: str
    state: str
    includeTargets: list[IncludeTarget]


class AuthenticationMethodsPolicy(Schema):
    id: str
    authenticationMethodConfigurations: list[MethodConfiguration]


def policy_json() -> dict[str, Any]:
    rules = policy_snapshot().method_rules
    configurations = []
    for method in methods_in_suggested_order():
        rule = rules.get(method.key)
        groups = sorted(rule.group_ids) if rule is not None else []
        configurations.append(
            {
                "id": method.key,
                "displayName": str(method.name),
                # A method without a rule of its own is offered to everyone.
                "state": "enabled" if rule is None or rule.enabled else "disabled",
                "includeTargets": [{"targetType": "group", "id": str(g)} for g in groups]
                or [{"targetType": "group", "id": "all_users"}],
            }
        )
    return {
        "id": "authenticationMethodsPolicy",
        "authenticationMethodConfigurations": configurations,
    }


@router.get(
    "/authenticationMethodsPolicy",
    response={200: AuthenticationMethodsPolicy, **ERRORS},
    auth=read_auth,
    summary="The authentication methods policy",
)
def get_authentication_methods_policy(request: HttpRequest) -> Any:
    return policy_json()
