"""Attacks on phone numbers: letters, premium ranges, duplicates; the country picker."""

from __future__ import annotations

import re

import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.forms.models import model_to_dict
from django.test import Client
from django.utils import translation

from tests.conftest import DEFAULT_PASSWORD
from twofold.accounts.admin import TwofoldUserChangeForm
from twofold.accounts.models import User
from twofold.accounts.phones import NumberUse, normalise_phone_number
from twofold.accounts.services import NewUser, create_user
from twofold.core import clock
from twofold.messaging.models import Outbound
from twofold.methods import codes
from twofold.methods.models import RegisteredMethod
from twofold.methods.phone import numbers
from twofold.methods.phone.method import AlreadyRegistered
from twofold.methods.registry import get_method

pytestmark = pytest.mark.django_db

LETTERS = "letters aren&#x27;t accepted"


@pytest.fixture
def lee(make_user) -> User:
    return make_user("lee@contoso.example", mobile_phone="+31612345678")


@pytest.fixture
def client(lee: User) -> Client:
    client = Client()
    client.post("/signin/", {"username": lee.username, "password": DEFAULT_PASSWORD})
    return client


@pytest.mark.parametrize(
    ("region", "number"), [("NL", "0612345abc"), ("US", "1-800-FLOWERS"), ("NL", "+31 6 1234 567o")]
)
@pytest.mark.parametrize("method", ["phone_text", "phone_call", "alternate_phone_call"])
def test_letters_are_refused_not_turned_into_keypad_digits(
    client: Client, method: str, region: str, number: str
) -> None:
    data = {"action": "send", "region": region, "number": number}
    response = client.post(f"/setup/method/{method}/", data)
    assert response.status_code == 400
    assert LETTERS in response.content.decode()
    assert not Outbound.objects.exists(), "nothing went to +31612345222"


@pytest.mark.parametrize(
    ("region", "number", "kind"),
    [
        ("NL", "0900 1234567", "premium-rate number"),
        ("NL", "0800 1234567", "toll-free number"),
        ("US", "800 555 0199", "toll-free number"),
        ("US", "900 555 0199", "premium-rate number"),
        ("BE", "078 79 12 34", "shared-cost number"),
    ],
)
@pytest.mark.parametrize("method", ["phone_text", "phone_call", "alternate_phone_call"])
def test_service_numbers_get_no_texts_or_calls(
    client: Client, method: str, region: str, number: str, kind: str
) -> None:
    data = {"action": "send", "region": region, "number": number}
    response = client.post(f"/setup/method/{method}/", data)
    page = response.content.decode()
    assert response.status_code == 400
    assert f"This is a {kind}." in page
    accepted = "only to mobile phone numbers" if method == "phone_text" else "mobile and landline"
    assert accepted in page
    assert not Outbound.objects.exists()


def test_a_landline_can_be_called_but_not_texted(client: Client) -> None:
    data = {"action": "send", "region": "NL", "number": "020 123 4567"}
    texted = client.post("/setup/method/phone_text/", data)
    assert texted.status_code == 400 and "This is a landline number." in texted.content.decode()
    assert client.post("/setup/method/phone_call/", data).status_code == 200
    assert Outbound.objects.get().channel == "call"


@pytest.mark.parametrize(
    ("field", "number", "message"),
    [
        ("mobile_phone", "+31 900 1234567", "This is a premium-rate number. Texts go only"),
        ("mobile_phone", "+31 20 123 4567", "This is a landline number. Texts go only"),
        ("office_phone", "+1 800 555 0199", "This is a toll-free number. Calls go only"),
        ("mobile_phone", "+1-800-FLOWERS", "letters aren't accepted"),
    ],
)
def test_directory_phones_follow_the_same_rules(field: str, number: str, message: str) -> None:
    with pytest.raises(ValidationError) as refused:
        create_user(NewUser("new@contoso.example", password=DEFAULT_PASSWORD, **{field: number}))
    assert message in refused.value.message_dict[field][0]


def test_premium_number_is_refused_on_the_cli() -> None:
    with pytest.raises(CommandError, match="premium-rate number"):
        call_command(
            "user", "add", "lee@contoso.example", "--generate-password",
            "--mobile-phone", "+31 900 1234567",
        )  # fmt: skip
    with pytest.raises(CommandError, match="letters aren't accepted"):
        call_command(
            "user", "add", "lee@contoso.example", "--generate-password",
            "--office-phone", "1-800-FLOWERS",
        )  # fmt: skip
    assert not User.objects.exists()


@pytest.mark.parametrize(
    ("field", "number", "message"),
    [
        ("mobile_phone", "+31 900 1234567", "This is a premium-rate number. Texts go only"),
        ("office_phone", "+1 800 FLOWERS", "letters aren't accepted"),
    ],
)
def test_admin_pages_check_directory_phones_the_same_way(
    lee: User, field: str, number: str, message: str
) -> None:
    data = {k: v for k, v in model_to_dict(lee).items() if v is not None} | {field: number}
    form = TwofoldUserChangeForm(instance=lee, data=data)
    assert not form.is_valid()
    assert message in form.errors[field][0]
    good = TwofoldUserChangeForm(instance=lee, data=data | {field: "+31 6 1234 5679"})
    good.is_valid()
    assert good.cleaned_data[field] == "+31612345679"


def test_the_same_number_is_refused_as_the_same_method(client: Client) -> None:
    first = client.post(
        "/setup/method/phone_text/", {"action": "send", "region": "NL", "number": "0612345678"}
    )
    code = re.search(
        r'class="devphone-body">(\d{6}) is your',
        client.get("/devphone/+31612345678/").content.decode(),
    )
    assert first.status_code == 200 and code
    client.post("/setup/method/phone_text/", {"code": code.group(1)})
    client.post("/setup/done/")
    sent = Outbound.objects.count()
    again = client.post(
        "/security-info/add/phone_text/",
        {"action": "send", "region": "NL", "number": "+31 6 12345678"},
    )
    assert again.status_code == 400
    assert "is already in your security info" in again.content.decode()
    assert Outbound.objects.count() == sent, "no code is sent for a number already there"
    assert RegisteredMethod.objects.filter(kind="phone_text").count() == 1
    call = client.post(
        "/security-info/add/phone_call/",
        {"action": "send", "region": "NL", "number": "0612345678"},
    )
    assert call.status_code == 200, "the same number may still be called as another method"


def test_a_second_tab_cannot_finish_the_same_number(lee: User) -> None:
    method = get_method("phone_text")
    assert method is not None
    pending = {"number": "+31612345678", **codes.new_code_state("123456", clock.now(), 600)}
    registered = RegisteredMethod(user=lee, kind="phone_text")
    registered.data = {"number": "+31612345678"}
    registered.save()
    with pytest.raises(AlreadyRegistered) as refused:
        method.finish_registration(lee, pending, {"code": "123456"}, clock.now())
    assert not refused.value.counts_as_failure, "not a wrong code"
    assert RegisteredMethod.objects.filter(kind="phone_text").count() == 1


def test_other_ways_tell_methods_apart_by_masked_number(lee: User) -> None:
    for number, default in (("+31612345678", True), ("+31687654321", False)):
        registered = RegisteredMethod(user=lee, kind="phone_text", is_default=default)
        registered.data = {"number": number}
        registered.save()
    client = Client()
    client.post("/signin/", {"username": lee.username, "password": DEFAULT_PASSWORD})
    page = client.get("/signin/verify/other/").content.decode()
    assert "Phone: text message: +31 6\u2022\u2022\u2022\u2022\u2022\u202278" in page
    assert "Phone: text message: +31 6\u2022\u2022\u2022\u2022\u2022\u202221" in page
    assert "12345678" not in page and "87654321" not in page


def test_country_stays_chosen_after_an_error(client: Client) -> None:
    response = client.post(
        "/setup/method/phone_text/", {"action": "send", "region": "BE", "number": "12"}
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert page.count(" selected>") == 1
    assert '<option value="BE" selected>' in page


def test_country_from_the_directory_number_is_chosen_first(client: Client) -> None:
    page = client.get("/setup/method/phone_text/").content.decode()
    assert page.count(" selected>") == 1
    assert '<option value="NL" selected>' in page


@pytest.mark.parametrize(
    ("language", "names", "a_names"),
    [
        ("en", ["Isle of Man", "Eswatini", "Kosovo", "Ascension Island"], ["Åland Islands"]),
        ("nl", ["Nederland", "Verenigde Staten", "Westelijke Sahara"], ["Åland", "Albanië"]),
    ],
)
def test_countries_have_cldr_names_sorted_in_the_page_language(
    language: str, names: list[str], a_names: list[str]
) -> None:
    with translation.override(language):
        labels = [label for _code, label in numbers.region_choices()]
    for name in names:
        assert any(label.startswith(f"{name} (+") for label in labels), name
    raw = [label for label in labels if re.match(r"[A-Z]{2} \(", label)]
    assert raw == [], "every region has a name"
    assert "Isle Of Man" not in str(labels) and "Swaziland" not in str(labels)
    first_letters = [label[0] for label in labels]
    for name in a_names:
        index = next(i for i, label in enumerate(labels) if label.startswith(name))
        assert first_letters[index + 1] in "AÅ" and index < 20, f"{name} is among the A's"
    keys = [numbers.collation_key(label) for label in labels]
    assert keys == sorted(keys)


def test_one_function_checks_numbers_everywhere() -> None:
    assert normalise_phone_number("06 12345678", NumberUse.TEXT, "NL") == "+31612345678"
    assert normalise_phone_number("+31 20 123 4567", NumberUse.CALL) == "+31201234567"
