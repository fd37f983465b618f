"""Every page of the wizard, Security info and the reset portal, read in Dutch, has no English.

The pages are loaded with Django's test client as someone whose browser asks for Dutch, also
after a mistake (a wrong code, a bad number, a weak password), and read the way a person reads
them: the visible text plus the attributes people see or hear (placeholder, title, aria-label,
alt, the labels of the narrow-screen table, the messages the security key script shows).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from html.parser import HTMLParser
from pprint import pformat

import pytest
from django.core import mail
from django.http import HttpResponse
from django.test import Client

from tests.conftest import DEFAULT_PASSWORD, FrozenClock, sign_in, totp_code
from tests.sspr.helpers import (
    HOME_EMAIL,
    add_email,
    add_questions,
    answers_for,
    last_code_in_mail,
    solved_captcha,
)
from twofold.accounts.models import User
from twofold.messaging.models import Outbound
from twofold.methods.registry import get_method
from twofold.policy.services import get_policy

pytestmark = pytest.mark.django_db

# Words that are English and not also Dutch: "code", "app", "account", "type", "scan", "link",
# "browser", "start", "open", "in", "was", "want", "help", "last", "show" and "update" are Dutch
# words too, so they would say nothing.
ENGLISH_WORDS = frozenset(
    """
    the your you yours and with for from this that these those what which when where how why
    can cannot don doesn didn isn haven wasn couldn won shouldn not new old again try enter
    number mobile office call text key keys question questions answer answers sign signed
    next back skip done continue save choose select use add added phone password passwords
    field required verify verified cancel delete change changed method methods security info
    default never send sent email resend instead already only still yet more other another
    different need have has were will would should must may might about all any
    every each some none yes no too short common characters least contain similar entirely
    numeric invalid valid please minutes minute seconds hours days ago used created name
    settings page hide copy copied remove edit confirm submit approve deny
    close forgot notification notifications device country personal address extension my it
    are language welcome hello thanks error warning success loading waiting approved denied
    expired today tomorrow yesterday learn optional recommended matches
    january february march may june july august october
    monday tuesday wednesday thursday friday saturday sunday noon midnight
    """.split()
)

# Names and technical tokens that stay as they are in Dutch; removed before looking for words.
ALLOWED = (
    "Twofold Authenticator",
    "Twofold",
    "Contoso",
    "Adele Vance",
    "English",  # the language switcher names each language in that language
    "QR",
    "SMS",
    "TOTP",
    "URL",
    "FIDO2",
    "PIN",
)
EMAIL_ADDRESS = re.compile(r"[\w.+-]+@[\w-]+(\.[\w-]+)+")
WEB_ADDRESS = re.compile(r"https?://\S+")
WORD = re.compile(r"[A-Za-z]+")

SHOWN_ATTRIBUTES = {"placeholder", "title", "aria-label", "alt", "data-label"}
BUTTON_INPUTS = {"submit", "button", "reset"}
UNSEEN_ELEMENTS = {"script", "style"}


class VisibleText(HTMLParser):
    """Collects what a person sees or hears of a page."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._unseen_depth = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in UNSEEN_ELEMENTS:
            self._unseen_depth += 1
        values = dict(attrs)
        for name, value in attrs:
            if not value:
                continue
            # data-* attributes with a sentence are messages a script shows (security keys).
            if name in SHOWN_ATTRIBUTES or (name.startswith("data-") and " " in value.strip()):
                self.parts.append(value)
        if tag == "input" and values.get("type") in BUTTON_INPUTS and values.get("value"):
            self.parts.append(str(values["value"]))

    def handle_endtag(self, tag: str) -> None:
        if tag in UNSEEN_ELEMENTS and self._unseen_depth:
            self._unseen_depth -= 1

    def handle_data(self, data: str) -> None:
        if not self._unseen_depth:
            self.parts.append(data)


def visible_text(html: str) -> str:
    parser = VisibleText()
    parser.feed(html)
    parser.close()
    return " ".join(" ".join(parser.parts).split())


def english_words(text: str) -> list[str]:
    text = WEB_ADDRESS.sub(" ", EMAIL_ADDRESS.sub(" ", text))
    for allowed in ALLOWED:
        text = text.replace(allowed, " ")
    return sorted({word for word in WORD.findall(text) if word.lower() in ENGLISH_WORDS})


def test_visible_text_reads_attributes_people_see_and_skips_scripts() -> None:
    html = (
        '<p title="Close">Hallo <b>daar</b></p><script>var the = "Next";</script>'
        '<input type="submit" value="Send"><input type="hidden" value="Cancel">'
        '<button name="action" value="resend">Opnieuw</button><img alt="Your code">'
    )
    text = visible_text(html)
    assert text == "Close Hallo daar Send Opnieuw Your code"
    assert english_words(text) == ["Close", "Send", "Your"]
    assert english_words("Twofold Authenticator stuurt een code naar adele.home@example.org") == []
    assert english_words("URL http://testserver/push/api/activate") == []


class Walk:
    """Loads pages as a Dutch-speaking person and keeps what English each one showed."""

    def __init__(self) -> None:
        self.client = Client(HTTP_ACCEPT_LANGUAGE="nl")
        self.found: dict[str, list[str]] = {}
        self.pages = 0

    def read(self, label: str, response: HttpResponse) -> HttpResponse:
        assert response.status_code < 500, f"{label}: {response.status_code}"
        if response.status_code in (301, 302):
            return response
        assert response["Content-Language"] == "nl", label
        self.pages += 1
        words = english_words(visible_text(response.content.decode()))
        if words:
            self.found[label] = words
        return response

    def get(self, path: str, label: str = "") -> HttpResponse:
        return self.read(label or f"GET {path}", self.client.get(path))

    def post(self, path: str, data: dict[str, object], label: str) -> HttpResponse:
        return self.read(label, self.client.post(path, data))


def method_keys() -> Iterator[str]:
    for key in (
        "authenticator_app",
        "authenticator_code",
        "phone_text",
        "phone_call",
        "office_call",
        "email",
        "security_key",
        "security_questions",
    ):
        assert get_method(key) is not None, key
        yield key


def walk_registration_pages(walk: Walk, prefix: str) -> None:
    """Each method's registration page, and the same page after the usual mistakes."""
    for key in method_keys():
        walk.get(f"{prefix}{key}/")
    walk.post(f"{prefix}authenticator_code/", {"code": "000000"}, "wrong authenticator code")
    walk.post(f"{prefix}authenticator_code/", {"code": ""}, "empty authenticator code")
    walk.post(
        f"{prefix}phone_text/",
        {"action": "send", "region": "NL", "number": "12"},
        "bad mobile number",
    )
    walk.post(
        f"{prefix}phone_text/",
        {"action": "send", "region": "NL", "number": "0201234567"},
        "landline number for texts",
    )
    walk.post(f"{prefix}phone_text/", {"action": "send", "region": "", "number": ""}, "no number")
    walk.post(
        f"{prefix}phone_text/",
        {"action": "send", "region": "NL", "number": "0612345678"},
        "code texted",
    )
    walk.get(f"{prefix}phone_text/", "text code step")
    walk.post(f"{prefix}phone_text/", {"code": "000000"}, "wrong texted code")
    walk.post(f"{prefix}phone_text/", {"action": "start_over"}, "phone start over")
    walk.post(
        f"{prefix}phone_call/",
        {"action": "send", "region": "NL", "number": "06123"},
        "bad number to call",
    )
    walk.post(f"{prefix}email/", {"action": "send", "email": "not-an-address"}, "bad address")
    walk.post(f"{prefix}email/", {"code": ""}, "email code before sending")
    walk.post(f"{prefix}email/", {"action": "send", "email": HOME_EMAIL}, "email code sent")
    walk.get(f"{prefix}email/", "email code step")
    walk.post(f"{prefix}email/", {"code": "000000"}, "wrong email code")
    walk.post(f"{prefix}security_questions/", {}, "no questions answered")
    walk.post(f"{prefix}security_key/", {"name": "", "credential": ""}, "no security key used")


@pytest.fixture
def dutch_adele(make_user) -> User:
    return make_user(office_phone="+31201234567")


def test_wizard_pages_have_no_english_in_dutch(dutch_adele: User, clock: FrozenClock) -> None:
    policy = get_policy()
    policy.app_passwords_in_wizard = True
    policy.postpone_days = 3
    policy.save()
    walk = Walk()
    sign_in(walk.client, dutch_adele)
    walk.get("/setup/")
    walk.get("/setup/choose/")
    walk_registration_pages(walk, "/setup/method/")
    page = walk.get("/setup/method/authenticator_code/", "authenticator code again").content
    secret = re.search(rb'id="totp-secret">([A-Z2-7 ]+)<', page).group(1).decode()  # type: ignore[union-attr]
    code = totp_code(secret.replace(" ", ""), clock.now().timestamp())
    walk.post("/setup/method/authenticator_code/", {"code": code, "label": "telefoon"}, "added")
    walk.get("/setup/app-password/")
    walk.post("/setup/app-password/", {"name": ""}, "app password without a name")
    walk.post("/setup/app-password/", {"name": "Outlook"}, "app password created")
    walk.get("/security-info/app-passwords/created/", "app password shown in the wizard")
    walk.get("/setup/done/")
    assert walk.pages > 30
    assert not walk.found, pformat(walk.found)


def test_security_info_pages_have_no_english_in_dutch(
    dutch_adele: User, add_authenticator, clock: FrozenClock
) -> None:
    registered, secret = add_authenticator(dutch_adele, "telefoon")
    add_email(dutch_adele)
    walk = Walk()
    sign_in(walk.client, dutch_adele, secret, clock.now().timestamp())
    clock.advance(30)
    walk.get("/")
    walk.get("/security-info/")
    walk_registration_pages(walk, "/security-info/add/")
    walk.get("/security-info/default/")
    walk.post("/security-info/default/", {"method": "999999"}, "default: not one of hers")
    walk.get(f"/security-info/methods/{registered.pk}/delete/")
    walk.get("/security-info/app-passwords/")
    walk.post("/security-info/app-passwords/", {"name": ""}, "app password without a name")
    walk.post("/security-info/app-passwords/", {"name": "Outlook"}, "app password created")
    walk.get("/security-info/app-passwords/created/")
    walk.get("/security-info/app-passwords/", "app passwords with one in the list")
    walk.get("/account/password/")
    for label, new in (
        ("too short, all digits", "1234"),
        ("too common", "password"),
        ("like her name", "adelevance1"),
        ("contains the organisation", "contoso-wachtwoord"),
    ):
        walk.post(
            "/account/password/",
            {"old_password": DEFAULT_PASSWORD, "new_password1": new, "new_password2": new},
            f"change password: {label}",
        )
    walk.post("/account/password/", {}, "change password: nothing filled in")
    walk.post(
        "/account/password/",
        {"old_password": "fout", "new_password1": "a-long-pass-9x", "new_password2": "different"},
        "change password: wrong current password, new ones differ",
    )
    clock.advance(11 * 60)  # long enough ago that changes ask to verify again
    step_up = walk.client.get("/security-info/add/authenticator_code/")["Location"]
    walk.get(step_up, "verify identity")
    walk.post("/security-info/verify/", {"code": "000000", "next": "/security-info/"}, "step-up")
    assert walk.pages > 40
    assert not walk.found, pformat(walk.found)


def test_reset_portal_pages_have_no_english_in_dutch(dutch_adele: User, clock: FrozenClock) -> None:
    add_email(dutch_adele)
    add_questions(dutch_adele)
    policy = get_policy()
    policy.sspr_methods_required = 2
    policy.save()
    walk = Walk()
    start = walk.get("/reset/")
    walk.post("/reset/", {"username": "", "captcha": ""}, "reset: nothing filled in")
    walk.post("/reset/", {"username": "adele", "captcha": ""}, "reset: name without domain")
    walk.post(
        "/reset/",
        {"username": dutch_adele.username, "captcha": solved_captcha(start.context)},
        "reset started",
    )
    walk.get("/reset/verify/")
    walk.get("/reset/verify/email/")
    walk.post("/reset/verify/email/", {"contact": ""}, "reset: no address typed")
    walk.post("/reset/verify/email/", {"contact": HOME_EMAIL}, "reset: address typed")
    walk.get("/reset/verify/email/", "reset: email code step")
    walk.post("/reset/verify/email/", {"code": "000000"}, "reset: wrong email code")
    walk.post("/reset/verify/email/", {"code": last_code_in_mail()}, "reset: email code")
    walk.get("/reset/verify/", "reset: second step")
    questions = walk.get("/reset/verify/security_questions/")
    wrong = {name: "geen idee" for name in questions.context["form"].fields}
    walk.post("/reset/verify/security_questions/", wrong, "reset: wrong answers")
    questions = walk.get("/reset/verify/security_questions/", "reset: questions again")
    walk.post("/reset/verify/security_questions/", answers_for(questions), "reset: answered")
    password_url = walk.client.get("/reset/verify/")["Location"]
    assert password_url.startswith("/reset/password/")
    walk.get(password_url, "reset: new password")
    for label, new, again in (
        ("too short", "kort1", "kort1"),
        ("too common", "password", "password"),
        ("differ", "a-long-pass-9x", "another-long-one"),
        ("empty", "", ""),
    ):
        walk.post(
            password_url,
            {"new_password1": new, "new_password2": again},
            f"reset: new password {label}",
        )
    new = "een-nieuw-lang-wachtwoord-7"
    walk.post(password_url, {"new_password1": new, "new_password2": new}, "reset: done")
    walk.get("/reset/done/")
    assert mail.outbox, "the codes went by email"
    assert walk.pages >= 18
    assert not walk.found, pformat(walk.found)


def add_mobile_by_text(user: User) -> None:
    """Registers the user's mobile phone for texts through the wizard, in English."""
    client = Client()
    sign_in(client, user)
    path = "/setup/method/phone_text/"
    client.post(path, {"action": "send", "region": "NL", "number": "0612345678"})
    text = Outbound.objects.filter(to_number="+31612345678").latest("id")
    code = re.search(r"\d{6}", text.body).group(0)  # type: ignore[union-attr]
    assert client.post(path, {"code": code})["Location"] == "/setup/done/"


def test_reset_portal_with_a_phone_and_an_app_has_no_english_in_dutch(
    dutch_adele: User, add_authenticator, clock: FrozenClock
) -> None:
    add_mobile_by_text(dutch_adele)
    add_authenticator(dutch_adele, "telefoon")
    walk = Walk()
    start = walk.get("/reset/")
    walk.post(
        "/reset/",
        {"username": dutch_adele.username, "captcha": solved_captcha(start.context)},
        "reset started",
    )
    walk.get("/reset/verify/")
    walk.get("/reset/verify/phone_text/")
    walk.post("/reset/verify/phone_text/", {"contact": "12"}, "reset: a number not hers")
    walk.post(
        "/reset/verify/phone_text/", {"contact": "0612345678"}, "reset: number at the code step"
    )
    walk.get("/reset/verify/phone_text/", "reset: texted code step")
    walk.post("/reset/verify/phone_text/", {"code": "000000"}, "reset: wrong texted code")
    walk.get("/reset/verify/authenticator_code/")
    walk.post("/reset/verify/authenticator_code/", {"code": "000000"}, "reset: wrong app code")
    walk.post("/reset/verify/authenticator_code/", {"code": ""}, "reset: no app code")
    assert walk.pages >= 9
    assert not walk.found, pformat(walk.found)


def test_sign_in_pages_have_no_english_in_dutch(
    dutch_adele: User, add_authenticator, clock: FrozenClock
) -> None:
    add_mobile_by_text(dutch_adele)
    add_authenticator(dutch_adele, "telefoon")
    walk = Walk()
    walk.get("/signin/")
    walk.post("/signin/", {"username": "", "password": ""}, "sign in: nothing filled in")
    walk.post("/signin/", {"username": dutch_adele.username, "password": "fout"}, "wrong password")
    walk.post("/signin/", {"username": dutch_adele.username, "password": DEFAULT_PASSWORD}, "ok")
    walk.get("/signin/verify/")
    walk.post("/signin/verify/", {"code": "000000"}, "sign in: wrong code")
    walk.get("/signin/verify/other/")
    assert walk.pages >= 6
    assert not walk.found, pformat(walk.found)
