from __future__ import annotations

import json

import pytest
from django.test import Client

from tests.methods.soft_authenticator import SoftAuthenticator
from tests.sspr.helpers import start
from twofold.accounts.models import User
from twofold.methods.flows import register_method
from twofold.methods.security_key.method import SecurityKeyMethod

pytestmark = pytest.mark.django_db


def register_key(user: User) -> SoftAuthenticator:
    key = SoftAuthenticator()
    method = SecurityKeyMethod()
    pending = method.begin_registration(user)
    register_method(
        user, method, pending, {"credential": key.create(pending["challenge"]), "name": "k"}
    )
    return key


def options_on(page) -> dict:
    return json.loads(page.context["webauthn_options"])


def test_a_security_key_resets_the_password(adele: User) -> None:
    key = register_key(adele)
    client = Client()
    start(client, adele.username)
    page = client.get("/reset/verify/security_key/")
    options = options_on(page)
    assert options["userVerification"] == "required"
    response = client.post(
        "/reset/verify/security_key/", {"credential": key.assert_(options["challenge"])}
    )
    assert response["Location"] == "/reset/verify/"
    assert client.get("/reset/verify/")["Location"].startswith("/reset/password/")


def test_a_name_without_a_key_gets_a_page_just_like_it(make_user) -> None:
    register_key(make_user("adele@contoso.example"))
    shapes = []
    for name in ["adele@contoso.example", "nobody@contoso.example"]:
        client = Client()
        start(client, name)
        options = options_on(client.get("/reset/verify/security_key/"))
        shapes.append(
            (
                sorted(options),
                len(options["allowCredentials"]),
                len(options["allowCredentials"][0]["id"]),
            )
        )
        again = options_on(client.get("/reset/verify/security_key/"))
        assert again["allowCredentials"] == options["allowCredentials"], "stable for a name"
    assert shapes[0] == shapes[1]


def test_an_answer_from_another_key_is_refused(adele: User) -> None:
    register_key(adele)
    stranger = SoftAuthenticator()
    client = Client()
    start(client, adele.username)
    options = options_on(client.get("/reset/verify/security_key/"))
    response = client.post(
        "/reset/verify/security_key/", {"credential": stranger.assert_(options["challenge"])}
    )
    assert response.status_code == 401
