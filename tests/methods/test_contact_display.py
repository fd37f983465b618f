"""What a method shows of a contact it was only told, and where account notices go."""

from __future__ import annotations

import pytest

from tests.sspr.helpers import add_email
from twofold.accounts.models import User
from twofold.methods.flows import method_of
from twofold.methods.models import RegisteredMethod
from twofold.methods.registry import all_methods, get_method

pytestmark = pytest.mark.django_db


def _method(key: str):
    method = get_method(key)
    assert method is not None
    return method


def test_email_masks_a_typed_address_as_typed() -> None:
    assert (
        _method("email").mask_contact(" Adele.V@Example.com ") == "ad\u2022\u2022\u2022@example.com"
    )


@pytest.mark.parametrize("key", ["phone_text", "phone_call", "alternate_phone_call", "office_call"])
def test_phone_masks_a_typed_number_to_its_last_two_digits(key: str) -> None:
    assert _method(key).mask_contact("+31 6 1234 5678") == "\u2022\u2022\u202278"
    assert _method(key).mask_contact("not a number") == ""


def test_methods_without_a_contact_show_nothing_of_what_was_typed() -> None:
    for method in all_methods():
        if method.reset_contact_label is None:
            assert method.mask_contact("adele@contoso.example") == ""


def test_the_email_method_gets_account_notices(adele: User, add_authenticator) -> None:
    add_email(adele, "adele.home@example.net")
    add_authenticator(adele)
    notices = {
        registered.kind: method_of(registered).notice_address(registered)
        for registered in RegisteredMethod.objects.filter(user=adele)
    }
    assert notices == {"email": "adele.home@example.net", "authenticator_code": None}
