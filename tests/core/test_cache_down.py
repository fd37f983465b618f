"""Redis going down gives a clear answer and loses nothing: sign-in keeps working."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.test import Client, override_settings

from tests.conftest import DEFAULT_PASSWORD
from twofold.accounts.models import User, UserSession

pytestmark = pytest.mark.django_db

DEAD_REDIS = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": "redis://127.0.0.1:1/0",
        "OPTIONS": {"socket_connect_timeout": 0.2, "socket_timeout": 0.2},
    }
}


@pytest.fixture(autouse=True)
def _fresh_cache() -> None:
    """Overrides the suite's cache clearing, which a dead cache can't do."""


@pytest.fixture
def dead_redis() -> Iterator[None]:
    with override_settings(CACHES=DEAD_REDIS):
        yield


def test_sign_in_works_with_the_cache_down(adele: User, dead_redis: None) -> None:
    from twofold.policy.services import get_policy

    policy = get_policy()
    policy.registration_required = False
    policy.save()
    client = Client()
    wrong = client.post("/signin/", {"username": adele.username, "password": "wrong-one"})
    assert wrong.status_code == 401
    response = client.post("/signin/", {"username": adele.username, "password": DEFAULT_PASSWORD})
    assert response.status_code == 302
    assert client.get("/").status_code == 200, "the session is read back from the database"
    assert UserSession.objects.filter(user=adele).exists()
    assert client.post("/signout/").status_code == 302
    assert not UserSession.objects.filter(user=adele).exists()


def test_readyz_names_the_cache_when_it_is_down(db: None, dead_redis: None) -> None:
    response = Client().get("/readyz")
    assert response.status_code == 503
    assert response.json()["cache"] == "unreachable"


def test_password_change_with_the_cache_down_forgets_browsers_and_other_sessions(
    adele: User, dead_redis: None, registration_not_required: None
) -> None:
    import datetime as dt

    from twofold.core import clock
    from twofold.signin.models import TrustedBrowser

    TrustedBrowser.objects.create(
        user=adele, token_hash="0" * 64, expires_at=clock.now() + dt.timedelta(days=30)
    )
    elsewhere, here = Client(), Client()
    for client in (elsewhere, here):
        client.post("/signin/", {"username": adele.username, "password": DEFAULT_PASSWORD})
    assert UserSession.objects.filter(user=adele).count() == 2

    response = here.post(
        "/account/password/",
        {
            "old_password": DEFAULT_PASSWORD,
            "new_password1": "a-new-long-passphrase",
            "new_password2": "a-new-long-passphrase",
        },
    )
    assert response.status_code == 302, "a redirect, not a 500"
    adele.refresh_from_db()
    assert adele.check_password("a-new-long-passphrase")
    assert not TrustedBrowser.objects.filter(user=adele).exists(), "remembered browsers are gone"
    assert UserSession.objects.filter(user=adele).count() == 1, "only this session remains"
    assert elsewhere.get("/").status_code == 302, "the other browser is signed out"


def test_disabling_a_user_with_the_cache_down_signs_them_out(
    adele: User, dead_redis: None, registration_not_required: None
) -> None:
    from twofold.accounts.services import set_account_enabled

    client = Client()
    client.post("/signin/", {"username": adele.username, "password": DEFAULT_PASSWORD})
    set_account_enabled(adele, False)
    assert not UserSession.objects.filter(user=adele).exists()
    assert client.get("/").status_code == 302
