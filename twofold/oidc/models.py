from __future__ import annotations

from django.db import models


class AuthorizationContext(models.Model):
    """How the user signed in when an authorization code was issued (for amr and acr).

    The ID token is made later, at the token endpoint, where the browser session is gone.
    """

    code_digest = models.CharField(max_length=64, unique=True)
    amr = models.JSONField(default=list)
    acr = models.CharField(max_length=64)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    def __str__(self) -> str:
        return f"{self.acr} {self.amr}"
