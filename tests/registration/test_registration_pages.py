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


def test_resend_reuses_the_pending_number(adele: User) -> None:
    from twofold.messaging.models import Outbound

    client = Client()
    sign_in(client, adele)
    path = "/setup/method/phone_text/"
    client.post(path, {"action": "send", "region": "NL", "number": "0612345678"})
    again = client.post(path, {"action": "resend"})
    assert again.status_code == 200
    assert list(Outbound.objects.values_list("to_number", flat=True)) == ["+31612345678"] * 2


def test_use_a_different_number_shows_the_empty_form_again(adele: User) -> None:
    client = Client()
    sign_in(client, adele)
    path = "/setup/method/phone_text/"
    client.post(path, {"action": "send", "region": "NL", "number": "0612345678"})
    assert client.post(path, {"action": "start_over"})["Location"] == path
    assert 'name="number"' in client.get(path).content.decode()


def test_next_before_send_code_says_to_send_a_code_first(adele: User) -> None:
    client = Client()
    sign_in(client, adele)
    response = client.post("/setup/method/email/", {"code": ""})
    assert response.status_code == 400
    assert "Send a code first, then enter it here." in response.content.decode()


WIZARD_OVER = "Your security info is already set up. You can add or change methods here."


@pytest.mark.parametrize("path", ["/setup/choose/", "/setup/method/phone_text/"])
def test_wizard_pages_after_the_wizard_lead_to_security_info(
    adele: User, add_authenticator, clock, path: str
) -> None:
    _, secret = add_authenticator(adele)
    client = Client()
    sign_in(client, adele, secret, clock.now().timestamp())
    for response in (client.get(path), client.post(path, {"action": "send"})):
        assert response.status_code == 302
        assert response["Location"] == "/security-info/"
    page = client.get("/security-info/", follow=True).content.decode()
    assert WIZARD_OVER in page


def test_second_tab_submitting_a_code_after_the_wizard_goes_to_security_info(
    adele: User, add_authenticator
) -> None:
    client = Client()
    sign_in(client, adele)
    # The phone page is open in another tab while an authenticator app finishes the wizard.
    client.post(
        "/setup/method/phone_text/", {"action": "send", "region": "NL", "number": "0612345678"}
    )
    add_authenticator(adele)
    response = client.post("/setup/method/phone_text/", {"code": "123456"})
    assert response.status_code == 302
    assert response["Location"] == "/security-info/"
    assert not adele.security_methods.filter(kind="phone_text").exists()


RESET_ONLY = "Used only to reset your password, not to sign in."


def test_reset_only_methods_say_so_in_the_wizard(adele: User) -> None:
    from twofold.registration.services import methods_that_help

    client = Client()
    sign_in(client, adele)
    offered = methods_that_help(adele)
    reset_only = [method for method in offered if not method.for_two_step]
    assert reset_only, "the default policy offers a method for password reset only"
    assert client.get("/setup/choose/").content.decode().count(RESET_ONLY) == len(reset_only)
    assert RESET_ONLY in client.get("/setup/method/email/").content.decode()
    assert RESET_ONLY in client.get("/setup/method/security_questions/").content.decode()
    assert RESET_ONLY not in client.get("/setup/method/phone_text/").content.decode()
    assert RESET_ONLY not in client.get("/setup/method/authenticator_code/").content.decode()
