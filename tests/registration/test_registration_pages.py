"""The wizard's and Security info's registration pages: every step has a way on."""

from __future__ import annotations

import pytest
from django.test import Client

from tests.conftest import sign_in
from twofold.accounts.models import User

pytestmark = pytest.mark.django_db


def test_authenticator_page_leaves_the_focus_where_reading_starts(adele: User) -> None:
    client = Client()
    sign_in(client, adele)
    page = client.get("/setup/method/authenticator_code/").content.decode()
    assert "Can&#x27;t scan the QR code?" in page or "Can't scan the QR code?" in page
    assert 'name="code"' in page
    assert "autofocus" not in page, "the code field must not skip the steps above it"
