"""Authentication method references (RFC 8176) and the acr values Twofold issues."""

from __future__ import annotations

from twofold.methods.registry import get_method

ACR_PASSWORD = "urn:twofold:acr:pwd"  # noqa: S105  (a name, not a secret)
ACR_MFA = "urn:twofold:acr:mfa"
# Accepted in acr_values as asking for two-step verification.
ACR_MFA_REQUESTS = {ACR_MFA, "mfa", "http://schemas.openid.net/pape/policies/2007/06/multi-factor"}


def amr_values(session_amr: list[str]) -> list[str]:
    """["pwd", "authenticator_code"] -> ["pwd", "otp", "mfa"]: each method says its value."""
    values = []
    for entry in session_amr:
        method = get_method(entry)
        value = "pwd" if entry == "pwd" else (method.amr if method is not None else None)
        if value and value not in values:
            values.append(value)
    if "pwd" in values and len(values) > 1:
        values.append("mfa")
    return values


def acr_value(amr: list[str]) -> str:
    return ACR_MFA if "mfa" in amr else ACR_PASSWORD


# What ID tokens and userinfo can say (discovery's claims_supported).
CLAIMS_SUPPORTED = [
    "sub",
    "iss",
    "aud",
    "exp",
    "iat",
    "auth_time",
    "nonce",
    "amr",
    "acr",
    "name",
    "preferred_username",
    "groups",
    "email",
]
