"""The explicit list of security info methods; policy filters it per user."""

from __future__ import annotations

from twofold.methods.authenticator_app.method import AuthenticatorAppMethod
from twofold.methods.authenticator_code.method import AuthenticatorCodeMethod
from twofold.methods.base import SecurityMethod
from twofold.methods.email.method import EmailMethod
from twofold.methods.phone.method import (
    AlternateCallMethod,
    CallMethod,
    OfficeCallMethod,
    TextMethod,
)
from twofold.methods.security_key.method import SecurityKeyMethod
from twofold.methods.security_questions.method import SecurityQuestionsMethod

_METHODS: dict[str, SecurityMethod] = {
    method.key: method
    # Declared in the order the wizard suggests them: the authenticator app first.
    for method in [
        AuthenticatorAppMethod(),
        AuthenticatorCodeMethod(),
        SecurityKeyMethod(),
        TextMethod(),
        CallMethod(),
        AlternateCallMethod(),
        OfficeCallMethod(),
        EmailMethod(),
        SecurityQuestionsMethod(),
    ]
}


def all_methods() -> list[SecurityMethod]:
    return sorted(_METHODS.values(), key=lambda method: -method.strength)


def methods_in_suggested_order() -> list[SecurityMethod]:
    return list(_METHODS.values())


def get_method(key: str) -> SecurityMethod | None:
    return _METHODS.get(key)
