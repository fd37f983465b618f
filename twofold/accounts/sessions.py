"""Session engine: Django's cached_db store, with the user and client recorded per row."""

from __future__ import annotations

import datetime as dt
from typing import Any, cast

from django.conf import settings
from django.contrib.sessions.backends.cached_db import SessionStore as CachedDBStore
from django.contrib.sessions.backends.db import SessionStore as DBStore
from django.core.cache import BaseCache, caches

from twofold.core import shared_cache

_WHAT = "session cache"

# Session keys written at sign-in and read back when the row is saved.
SESSION_IP = "twofold_ip"
SESSION_USER_AGENT = "twofold_user_agent"
SESSION_SIGNED_IN_AT = "twofold_signed_in_at"
# Between the password and the second step: who, since when, where to go after.
SESSION_PENDING_USER = "twofold_pending_user"
SESSION_PENDING_SINCE = "twofold_pending_since"
SESSION_NEXT = "twofold_next"
# Last strong verification (unix time), for step-up before security info changes.
SESSION_VERIFIED_AT = "twofold_verified_at"
# Authentication methods used in this session (OIDC "amr").
SESSION_AMR = "twofold_amr"
# Set at sign-in when policy interrupts: "register" or "reconfirm".
SESSION_INTERRUPT = "twofold_interrupt"
# Method key -> encrypted pending registration state (secrets never sit in clear in the session).
SESSION_PENDING_REGISTRATIONS = "twofold_pending_registrations"
# Registered method id -> encrypted state of the challenge sent to it (code sent, WebAuthn options).
SESSION_PENDING_CHALLENGES = "twofold_pending_challenges"
# Methods registered during this wizard run, for its success page.
SESSION_WIZARD_ADDED = "twofold_wizard_added"
# A just-made app password, encrypted, until the page that shows it once is loaded.
SESSION_NEW_APP_PASSWORD = "twofold_new_app_password"  # noqa: S105  (a key name)


class SessionStore(CachedDBStore):
    """The cache speeds sessions up; the database keeps them. With the cache (Redis) down,
    sessions carry on from the database alone instead of failing every request, and the
    outage is logged once (``twofold.core.shared_cache``), not once per request."""

    cache_key_prefix = "twofold.session"

    @property
    def _shared_cache(self) -> BaseCache:
        return caches[settings.SESSION_CACHE_ALIAS]

    def load(self) -> dict[str, Any]:
        key = self.cache_key
        data = shared_cache.guard(_WHAT, lambda: self._shared_cache.get(key), None)
        if data is not None:
            return cast(dict[str, Any], data)
        row = self._get_session_from_db()  # type: ignore[attr-defined]  # not in the stubs
        if row is None:
            return {}
        data = self.decode(row.session_data)
        age = self.get_expiry_age(expiry=row.expire_date)
        shared_cache.guard(_WHAT, lambda: self._shared_cache.set(key, data, age), None)
        return cast(dict[str, Any], data)

    def exists(self, session_key: str) -> bool:
        if session_key and shared_cache.guard(
            _WHAT, lambda: (self.cache_key_prefix + session_key) in self._shared_cache, False
        ):
            return True
        return DBStore.exists(self, session_key)

    def save(self, must_create: bool = False) -> None:
        DBStore.save(self, must_create)  # the database row is written before the cache
        data = self._session  # type: ignore[attr-defined]  # not in the stubs
        key, age = self.cache_key, self.get_expiry_age()
        shared_cache.guard(_WHAT, lambda: self._shared_cache.set(key, data, age), None)

    def delete(self, session_key: str | None = None) -> None:
        DBStore.delete(self, session_key)
        if session_key is None:
            if self.session_key is None:
                return
            session_key = self.session_key
        key = self.cache_key_prefix + session_key
        shared_cache.guard(_WHAT, lambda: self._shared_cache.delete(key), None)

    @classmethod
    def get_model_class(cls) -> Any:
        from twofold.accounts.models import UserSession

        return UserSession

    def create_model_instance(self, data: dict[str, Any]) -> Any:
        instance: Any = super().create_model_instance(data)
        user_id = data.get("_auth_user_id")
        instance.user_id = int(user_id) if user_id is not None else None
        instance.ip_address = data.get(SESSION_IP)
        instance.user_agent = data.get(SESSION_USER_AGENT, "")
        signed_in_at = data.get(SESSION_SIGNED_IN_AT)
        instance.signed_in_at = dt.datetime.fromisoformat(signed_in_at) if signed_in_at else None
        return instance
