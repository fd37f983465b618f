from __future__ import annotations

import hashlib
from typing import Any

from oauth2_provider.oauth2_validators import OAuth2Validator

from twofold.oidc.models import AuthorizationContext


def code_digest(code: str) -> str:
    return hashlib.sha256(code.encode()).hexdigest()


class TwofoldValidator(OAuth2Validator):
    oidc_claim_scope = OAuth2Validator.oidc_claim_scope | {
        "amr": "openid",
        "acr": "openid",
        "name": "profile",
        "preferred_username": "profile",
        "groups": "profile",
        "email": "email",
    }

    def get_additional_claims(self, request: Any) -> dict[str, Any]:
        user = request.user
        claims: dict[str, Any] = {
            "name": user.name_to_show,
            "preferred_username": user.username,
            "email": user.email,
            "groups": list(user.groups.values_list("name", flat=True)),
        }
        code = getattr(request, "code", None)
        if code:
            context = AuthorizationContext.objects.filter(code_digest=code_digest(code)).first()
            if context is not None:
                claims["amr"] = context.amr
                claims["acr"] = context.acr
        return claims
