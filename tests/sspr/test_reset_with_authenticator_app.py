"""The Twofold Authenticator at the reset portal: codes first, notifications only second."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from tests.conftest import FrozenClock, totp_code
from tests.push.conftest import register_device
from tests.sspr.helpers import HOME_EMAIL, add_email, last_code_in_mail, start
from twofold.accounts.models import User
from twofold.audit.models import AuditEvent
from twofold.policy.services import get_policy
from twofold.push import services
from twofold.push.models import PushChallenge

pytestmark = pytest.mark.django_db

PAGE = "/reset/verify/authenticator_app/"


def wait_token_on(page) -> str:
    match = re.search(r"/push/wait/([^/\"?]+)", page.content.decode())
    assert match, "the page waits for the app's answer"
    return match.group(1)


def two_checks() -> None:
    policy = get_policy()
    policy.sspr_methods_required = 2
    policy.save()


def pass_email_check(client: Client, name: str) -> None:
    start(client, name)
    client.post("/reset/verify/email/", {"contact": HOME_EMAIL})
    client.get("/reset/verify/email/")
    assert client.post("/reset/verify/email/", {"code": last_code_in_mail()}).status_code == 302


def test_a_code_from_the_app_resets_the_password(adele: User, clock: FrozenClock) -> None:
    device, _ = register_device(adele)
    client = Client()
    start(client, adele.username)
    page = client.get(PAGE)
    assert page.context["codes_only"], "before a first check: the app's code, no notification"
    assert device.pending() == [], "no notification wakes the owner's phone"
    code = totp_code(device.totp_secret, clock.now().timestamp())
    response = client.post(PAGE, {"code": code})
    assert response["Location"] == "/reset/verify/"
    assert client.get("/reset/verify/")["Location"].startswith("/reset/password/")


def test_an_authenticator_code_resets_the_password(
    adele: User, add_authenticator, clock: FrozenClock
) -> None:
    _registered, secret = add_authenticator(adele)
    client = Client()
    start(client, adele.username)
    client.get("/reset/verify/authenticator_code/")
    code = totp_code(secret, clock.now().timestamp())
    response = client.post("/reset/verify/authenticator_code/", {"code": code})
    assert response["Location"] == "/reset/verify/", "a valid code is accepted (it was a 401)"
    assert client.get("/reset/verify/")["Location"].startswith("/reset/password/")


def test_no_notification_before_a_first_check_whatever_the_resends(
    make_user, clock: FrozenClock
) -> None:
    device, _ = register_device(make_user("adele@contoso.example"))
    pages = {}
    for name in ["adele@contoso.example", "nobody@contoso.example"]:
        client = Client()
        start(client, name)
        seen = [client.get(PAGE + "?resend=1", follow=True) for _ in range(5)]
        pages[name] = [(page.status_code, page.context["codes_only"]) for page in seen]
    assert pages["adele@contoso.example"] == pages["nobody@contoso.example"]
    assert device.pending() == []
    assert not PushChallenge.objects.exclude(purpose="activation-test").exists()


def test_an_approved_notification_is_the_second_check(adele: User, clock: FrozenClock) -> None:
    two_checks()
    add_email(adele)
    device, _ = register_device(adele)
    client = Client()
    pass_email_check(client, adele.username)
    page = client.get(PAGE)
    (notification,) = device.pending()
    assert notification["purpose"] == "password-reset"
    assert device.approve_latest(page.context["number"]) == "approved"
    response = client.post(PAGE, {"code": ""})
    assert response["Location"] == "/reset/verify/"
    assert client.get("/reset/verify/")["Location"].startswith("/reset/password/")


def test_resends_look_and_pause_alike_with_and_without_the_app(
    make_user, clock: FrozenClock
) -> None:
    """A name without the app gets decoys: same pages, same fatigue pause, same hourly limit."""
    two_checks()
    with_app = make_user("adele@contoso.example")
    without_app = make_user("bob@contoso.example")
    for user in (with_app, without_app):
        add_email(user)
    register_device(with_app)
    seen = []
    for user in (with_app, without_app):
        client = Client()
        pass_email_check(client, user.username)
        page = client.get(PAGE)
        token = wait_token_on(page)
        assert re.fullmatch(r"\d\d", page.context["number"])
        digest = services.wait_digest(token)
        waiting = services.wait_status(digest, clock.now())
        assert wait_token_on(client.get(PAGE)) == token, "a reload shows the same notification"
        clock.advance(120)
        expired = services.wait_status(digest, clock.now())
        resends = [client.get(PAGE + "?resend=1", follow=True) for _ in range(5)]
        seen.append(
            (
                waiting,
                expired,
                services.wait_status(digest, clock.now()),
                [
                    (r.status_code, r.context["error"], bool(r.context.get("number")))
                    for r in resends
                ],
            )
        )
        clock.advance(-120)
    assert seen[0] == seen[1]
    assert seen[0][:3] == (None, "expired", "answered")
    errors = [error for _status, error, _number in seen[0][3]]
    assert errors[:2] == ["", ""] and all("Several notifications" in e for e in errors[2:])
    sent = PushChallenge.objects.filter(user=with_app, purpose="password-reset").count()
    assert sent == 3, "at most three notifications an hour reach the phone from the portal"


def test_posting_before_the_app_answers_locks_real_and_unknown_names_alike(
    make_user, clock: FrozenClock
) -> None:
    register_device(make_user("adele@contoso.example"))
    statuses, audits = [], []
    for name in ["adele@contoso.example", "nobody@contoso.example"]:
        client = Client()
        before = AuditEvent.objects.count()
        start(client, name)
        client.get(PAGE)
        statuses.append([client.post(PAGE, {"code": ""}).status_code for _ in range(5)])
        kinds = AuditEvent.objects.order_by("pk").values_list("kind", flat=True)
        audits.append(list(kinds[before:]))
    assert statuses[0] == statuses[1], "the lockout must not tell which names have the app"
    assert statuses[0][-1] == 429
    assert audits[0] == audits[1], "and the audit log records the same"


def test_requests_refused_by_the_pause_leave_the_portals_hourly_three_whole(
    adele: User, clock: FrozenClock
) -> None:
    from tests.push.conftest import send

    two_checks()
    add_email(adele)
    device, _ = register_device(adele)
    for _ in range(3):  # someone with the password tried to sign in three times
        send(adele, device)
        assert device.answer(device.pending()[0], "deny") == "denied"
    client = Client()
    pass_email_check(client, adele.username)
    paused = [client.get(PAGE + "?resend=1", follow=True).context["error"] for _ in range(4)]
    assert all("in a row went unanswered or were denied" in error for error in paused)
    clock.advance(15 * 60)
    client = Client()  # the first reset has expired by now: a new one
    pass_email_check(client, adele.username)
    for _ in range(3):
        page = client.get(PAGE + "?resend=1", follow=True)
        assert page.context["error"] == ""
        assert device.approve_latest(page.context["number"]) == "approved"
        clock.advance(60)
    capped = client.get(PAGE + "?resend=1", follow=True).context["error"]
    assert capped == (
        "Several notifications were sent for password resets. "
        "You can ask for the next one in 57 minutes."
    )
