"""My account reminds someone who skipped registration: what is missing, days left."""

from __future__ import annotations

import pytest
from django.test import Client

from tests.conftest import FrozenClock, sign_in
from twofold.accounts.models import User
from twofold.policy.services import get_policy

pytestmark = pytest.mark.django_db


@pytest.fixture
def postponing(adele: User, clock: FrozenClock) -> Client:
    policy = get_policy()
    policy.postpone_days = 3
    policy.save()
    client = Client()
    sign_in(client, adele)
    assert client.post("/setup/postpone/")["Location"] == "/"
    return client


def test_skipping_registration_shows_what_is_missing_and_the_days_left(
    postponing: Client, clock: FrozenClock
) -> None:
    home = postponing.get("/").content.decode()
    assert "Finish setting up your security info" in home
    assert "Add a way to confirm it's you when you sign in." in home
    assert "Add 1 more way to reset your password if you forget it." in home
    assert "In 3 days, you can no longer skip this at sign-in." in home
    assert 'href="/setup/"' in home
    clock.advance(2 * 86400 + 3600)
    assert (
        "In 1 day, you can no longer skip this at sign-in." in postponing.get("/").content.decode()
    )


def test_nothing_is_missing_no_reminder(adele: User, add_authenticator, clock: FrozenClock) -> None:
    _registered, secret = add_authenticator(adele)
    client = Client()
    sign_in(client, adele, secret, clock.now().timestamp())
    home = client.get("/")
    assert home.status_code == 200
    assert "Finish setting up" not in home.content.decode()


def test_the_reminder_is_in_dutch(postponing: Client) -> None:
    home = postponing.get("/", HTTP_ACCEPT_LANGUAGE="nl").content.decode()
    assert "Maak uw beveiligingsgegevens af" in home
    assert "Over 3 dagen kunt u dit bij het aanmelden niet meer overslaan." in home
