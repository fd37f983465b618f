"""oauthlib's OpenID Connect server with the authorization code flow only."""

from __future__ import annotations

from typing import Any

from oauthlib.openid import Server as OpenIDServer

GRANT_TYPES = ("authorization_code", "refresh_token")


class Server(OpenIDServer):  # type: ignore[misc]
    def __init__(self, request_validator: Any, *args: Any, **kwargs: Any) -> None:
        super().__init__(request_validator, *args, **kwargs)
        # Any other grant type is answered unsupported_grant_type before a validator runs:
        # a password sent with grant_type=password is never checked, so the token endpoint
        # cannot become a password oracle without Twofold's lockout, second step and audit.
        grant_types: dict[str, Any] = self.grant_types
        self._grant_types = {name: grant_types[name] for name in GRANT_TYPES}
        # No implicit or hybrid response types: tokens never travel in a browser URL.
        response_types: dict[str, Any] = self.response_types
        self._response_types = {"code": response_types["code"]}
