from __future__ import annotations

import pytest
from django.test import Client

from tests.conftest import FrozenClock, sign_in
from twofold.accounts.models import User

FIREFOX_ON_WINDOWS = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0"
)


@pytest.fixture
def phone(adele: User, add_authenticator):
    return add_authenticator(adele, "phone")


@pytest.fixture
def client(adele: User, phone, clock: FrozenClock) -> Client:
    """Adele signed in with password and her phone's code, from Firefox on Windows."""
    _registered, secret = phone
    client = Client(HTTP_USER_AGENT=FIREFOX_ON_WINDOWS)
    response = sign_in(client, adele, secret, clock.now().timestamp())
    assert response.status_code == 302
    clock.advance(30)
    return client
