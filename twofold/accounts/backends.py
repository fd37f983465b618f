from __future__ import annotations

from typing import Any

from django.contrib.auth.backends import ModelBackend
from django.http import HttpRequest

from twofold.accounts.principal_names import normalise_principal_name


class PrincipalNameBackend(ModelBackend):
    """Password check by user principal name, case-insensitively.

    Inactive (disabled) accounts are refused by ModelBackend only after the
    password check, so a disabled account answers exactly like a wrong password.
    """

    def authenticate(
        self,
        request: HttpRequest | None,
        username: str | None = None,
        password: str | None = None,
        **kwargs: Any,
    ) -> Any:
        if username is not None:
            username = normalise_principal_name(username)
        return super().authenticate(request, username=username, password=password, **kwargs)
