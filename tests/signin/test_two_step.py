from __future__ import annotations

import pytest
from django.test import Client

from tests.conftest import DEFAULT_PASSWORD, FrozenClock, totp_code
from twofold.accounts.models import User
from twofold.audit.models import AuditEvent
from twofold.policy.services import get_policy
from twofold.signin.trusted import cookie_name

pytestmark = pytest.mark.django_db


def password_step(client: Client, user: User, **extra: str):
    return client.post(
        "/signin/", {"username": user.username, "password": DEFAULT_PASSWORD, **extra}
    )


def test_password_alone_does_not_sign_in_a_user_with_an_authenticator(
    adele: User,
    add_authenticator,
    clock: FrozenClock,
) -> None:
    add_authenticator(adele)
    client = Client()
    response = password_step(client, adele)
    assert response["Location"] == "/signin/verify/"
    assert client.get("/").status_code == 302, "not signed in yet"
    assert "_auth_user_id" not in client.session
    page = client.get("/signin/verify/")
    assert b"Enter the code shown in your authenticator app." in page.content


def test_right_code_completes_sign_in_and_returns_to_next(
    adele: User,
    add_authenticator,
    clock: FrozenClock,
) -> None:
    registered, secret = add_authenticator(adele)
    client = Client()
    password_step(client, adele, next="/security-info/")
    response = client.post(
        "/signin/verify/",
        {"method": registered.pk, "code": totp_code(secret, clock.now().timestamp())},
    )
    assert response.status_code == 302
    assert response["Location"] == "/security-info/"
    assert client.get("/security-info/").status_code == 200
    event = AuditEvent.objects.filter(kind=AuditEvent.Kind.SIGNIN_SUCCEEDED).get()
    assert event.details["amr"] == ["pwd", "mfa", "authenticator_code"]


@pytest.mark.parametrize(
    ("code", "status", "message"),
    [
        ("", 400, b"Enter the 6-digit code"),
        ("12345", 400, b"exactly 6 digits"),
        ("abcdef", 400, b"exactly 6 digits"),
        ("9" * 5000, 400, b"A code has 6 digits."),
        ("' OR 1=1--", 400, b"exactly 6 digits"),
    ],
)
def test_malformed_codes_get_a_clear_message(
    adele: User,
    add_authenticator,
    clock: FrozenClock,
    code: str,
    status: int,
    message: bytes,
) -> None:
    add_authenticator(adele)
    client = Client()
    password_step(client, adele)
    response = client.post("/signin/verify/", {"code": code})
    assert response.status_code == status
    assert message in response.content


def test_expired_and_replayed_codes_are_refused(
    adele: User,
    add_authenticator,
    clock: FrozenClock,
) -> None:
    _registered, secret = add_authenticator(adele)
    old_code = totp_code(secret, clock.now().timestamp() - 90)
    client = Client()
    password_step(client, adele)
    expired = client.post("/signin/verify/", {"code": old_code})
    assert expired.status_code == 401
    assert b"didn&#x27;t work" in expired.content
    code = totp_code(secret, clock.now().timestamp())
    assert client.post("/signin/verify/", {"code": code}).status_code == 302
    client.post("/signout/")
    other = Client()
    password_step(other, adele)
    replay = other.post("/signin/verify/", {"code": code})
    assert replay.status_code == 401


def test_guessing_codes_locks_verification(
    adele: User,
    add_authenticator,
    clock: FrozenClock,
) -> None:
    _, secret = add_authenticator(adele)
    right = totp_code(secret, clock.now().timestamp())
    client = Client()
    password_step(client, adele)
    statuses = []
    for guess in range(5):
        wrong = f"{(int(right) + 1 + guess) % 1_000_000:06d}"
        statuses.append(client.post("/signin/verify/", {"code": wrong}).status_code)
    assert statuses == [401, 401, 401, 401, 429]
    locked = client.post("/signin/verify/", {"code": right})
    assert locked.status_code == 429
    assert b"Too many wrong codes" in locked.content
    assert "_auth_user_id" not in client.session


def test_half_finished_sign_in_expires(adele: User, add_authenticator, clock: FrozenClock) -> None:
    _, secret = add_authenticator(adele)
    client = Client()
    password_step(client, adele)
    clock.advance(11 * 60)
    response = client.post("/signin/verify/", {"code": totp_code(secret, clock.now().timestamp())})
    assert response["Location"] == "/signin/"
    assert "_auth_user_id" not in client.session


def test_verify_page_without_a_password_step_goes_to_sign_in() -> None:
    assert Client().get("/signin/verify/")["Location"] == "/signin/"


def test_sign_in_another_way_lists_the_other_methods(
    adele: User,
    add_authenticator,
    clock: FrozenClock,
) -> None:
    add_authenticator(adele, "phone")
    tablet, tablet_secret = add_authenticator(adele, "tablet")
    client = Client()
    password_step(client, adele)
    page = client.get("/signin/verify/")
    assert b"Sign in another way" in page.content
    other = client.get("/signin/verify/other/")
    assert b"tablet" in other.content and b"phone" in other.content
    response = client.post(
        "/signin/verify/",
        {"method": tablet.pk, "code": totp_code(tablet_secret, clock.now().timestamp())},
    )
    assert response.status_code == 302


def test_method_id_of_another_user_is_not_used(
    make_user,
    add_authenticator,
    clock: FrozenClock,
) -> None:
    adele = make_user("adele@contoso.example")
    alex = make_user("alex@contoso.example")
    add_authenticator(adele)
    alex_method, alex_secret = add_authenticator(alex)
    client = Client()
    password_step(client, adele)
    response = client.post(
        "/signin/verify/",
        {"method": alex_method.pk, "code": totp_code(alex_secret, clock.now().timestamp())},
    )
    assert response.status_code == 401
    assert "_auth_user_id" not in client.session


def test_dont_ask_again_skips_the_second_step_on_this_browser_only(
    adele: User,
    add_authenticator,
    clock: FrozenClock,
) -> None:
    policy = get_policy()
    policy.remember_browser_days = 14
    policy.save()
    _, secret = add_authenticator(adele)
    browser = Client()
    password_step(browser, adele)
    assert b"for 14 days" in browser.get("/signin/verify/").content
    browser.post(
        "/signin/verify/",
        {"code": totp_code(secret, clock.now().timestamp()), "remember_browser": "on"},
    )
    browser.post("/signout/")
    assert password_step(browser, adele)["Location"] == "/"
    stranger = Client()
    assert password_step(stranger, adele)["Location"] == "/signin/verify/"
    stranger.cookies[cookie_name()] = browser.cookies[cookie_name()].value + "x"
    assert password_step(stranger, adele)["Location"] == "/signin/verify/"


def test_dont_ask_again_is_not_offered_when_policy_forbids_it(
    adele: User,
    add_authenticator,
    clock: FrozenClock,
) -> None:
    _, secret = add_authenticator(adele)
    client = Client()
    password_step(client, adele)
    assert b"Don&#x27;t ask again" not in client.get("/signin/verify/").content
    client.post(
        "/signin/verify/",
        {"code": totp_code(secret, clock.now().timestamp()), "remember_browser": "on"},
    )
    assert cookie_name() not in client.cookies
