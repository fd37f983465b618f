from __future__ import annotations

from django.db import models


class AuthorizationContext(models.Model):
    """How the user signed in when an authorization code was issued, and what it became.

    The ID token is made later, at the token endpoint, where the browser session is gone;
    refreshed ID tokens find the same amr/acr through the refresh token family. Knowing
    which tokens a code became lets a second use of the code revoke them (RFC 6749 4.1.2).
    """

    code_digest = models.CharField(max_length=64, unique=True)
    amr = models.JSONField(default=list)
    acr = models.CharField(max_length=64)
    # When the browser session signed in (the ID token's auth_time), not the user's
    # last sign-in anywhere.
    auth_time = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    # Set once, atomically, by the one token request that may redeem the code.
    exchanged_at = models.DateTimeField(null=True, blank=True)
    token_family = models.UUIDField(null=True, blank=True, db_index=True)
    access_token_checksum = models.CharField(max_length=64, blank=True)

    def __str__(self) -> str:
        return f"{self.acr} {self.amr}"
