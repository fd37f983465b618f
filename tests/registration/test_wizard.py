from __future__ import annotations

import re

import pytest
from django.test import Client

from tests.conftest import DEFAULT_PASSWORD, FrozenClock, sign_in, totp_code
from twofold.accounts.models import User
from twofold.methods.models import RegisteredMethod
from twofold.methods.registry import all_methods
from twofold.policy.models import MethodPolicy, MfaRequirement, MfaState
from twofold.policy.services import get_policy, security_state

pytestmark = pytest.mark.django_db


def secret_on(page: bytes) -> str:
    match = re.search(rb'id="totp-secret">([A-Z2-7 ]+)<', page)
    assert match, "the secret is shown for manual entry"
    return match.group(1).decode().replace(" ", "")


def test_new_user_is_sent_to_the_wizard_and_cannot_type_around_it(adele: User) -> None:
    client = Client()
    sign_in(client, adele)
    for path in ["/", "/security-info/", "/account/password/", "/admin/"]:
        response = client.get(path)
        assert response.status_code == 302, path
        assert response["Location"] == "/setup/", path
    start = client.get("/setup/")
    assert b"Keep your account secure" in start.content
    assert b"Method 1 of 1" in start.content
    assert client.get("/healthz").status_code == 200
    assert client.post("/signout/")["Location"] == "/signin/"


def test_wizard_registers_an_authenticator_app_and_lets_the_user_in(
    adele: User, clock: FrozenClock
) -> None:
    client = Client()
    sign_in(client, adele)
    page = client.get("/setup/method/authenticator_code/")
    assert b"data:image/svg+xml" in page.content, "QR code is inline"
    secret = secret_on(page.content)
    assert client.get("/setup/method/authenticator_code/").content.count(secret.encode()[:4]) >= 1
    assert secret_on(client.get("/setup/method/authenticator_code/").content) == secret, (
        "reloading keeps the same secret"
    )
    wrong = client.post("/setup/method/authenticator_code/", {"code": "000000"})
    assert wrong.status_code == 400
    code = totp_code(secret, clock.now().timestamp())
    response = client.post("/setup/method/authenticator_code/", {"code": code, "label": "Pixel"})
    assert response["Location"] == "/setup/done/"
    done = client.get("/setup/done/")
    assert b"Success!" in done.content and b"Pixel" in done.content
    assert client.post("/setup/done/")["Location"] == "/"
    assert client.get("/").status_code == 200
    method = RegisteredMethod.objects.get(user=adele)
    assert method.is_default and method.label == "Pixel"
    assert security_state(adele).info_confirmed_at is not None


def test_registration_secret_is_not_stored_in_clear_in_the_session(adele: User) -> None:
    client = Client()
    sign_in(client, adele)
    secret = secret_on(client.get("/setup/method/authenticator_code/").content)
    from twofold.accounts.models import UserSession

    raw = UserSession.objects.get(session_key=client.session.session_key).session_data
    assert secret not in raw


def test_disabled_method_is_not_offered_not_even_by_url(adele: User) -> None:
    for method in all_methods():
        MethodPolicy.objects.create(method_key=method.key, enabled=False)
    client = Client()
    sign_in(client, adele)
    # Nothing allowed could meet the requirement: the user is not trapped in a wizard.
    assert client.get("/").status_code == 200
    assert b"Authenticator app" not in client.get("/security-info/").content
    assert client.get("/setup/method/authenticator_code/").status_code == 404
    assert client.get("/security-info/add/authenticator_code/").status_code == 404


def test_method_limited_to_a_group_is_offered_only_to_members(make_user) -> None:
    from django.contrib.auth.models import Group

    pilots = Group.objects.create(name="pilots")
    rule = MethodPolicy.objects.create(method_key="authenticator_code")
    rule.groups.add(pilots)
    member = make_user("pilot@contoso.example")
    member.groups.add(pilots)
    other = make_user("other@contoso.example")
    from twofold.policy.services import allowed_methods

    assert "authenticator_code" in [m.key for m in allowed_methods(member)]
    assert "authenticator_code" not in [m.key for m in allowed_methods(other)]


def test_policy_can_let_users_postpone_registration(adele: User, clock: FrozenClock) -> None:
    policy = get_policy()
    policy.postpone_days = 3
    policy.save()
    client = Client()
    sign_in(client, adele)
    assert b"Skip for now (3 days until this is required)" in client.get("/setup/").content
    assert client.post("/setup/postpone/")["Location"] == "/"
    assert client.get("/").status_code == 200
    clock.advance(4 * 86400)
    client.post("/signout/")
    sign_in(client, adele)
    start = client.get("/setup/")
    assert b"Skip for now" not in start.content
    assert client.post("/setup/postpone/")["Location"] == "/setup/"
    assert client.get("/")["Location"] == "/setup/"


def test_no_interrupt_when_policy_does_not_require_two_step_or_reset(adele: User) -> None:
    policy = get_policy()
    policy.mfa_requirement = MfaRequirement.PER_USER
    policy.sspr_enabled = False
    policy.save()
    client = Client()
    sign_in(client, adele)
    assert client.get("/").status_code == 200


def test_per_user_enabled_state_requires_registration_and_becomes_enforced(
    adele: User, clock: FrozenClock
) -> None:
    policy = get_policy()
    policy.mfa_requirement = MfaRequirement.PER_USER
    policy.sspr_enabled = False
    policy.save()
    state = security_state(adele)
    state.mfa_state = MfaState.ENABLED
    state.save()
    client = Client()
    sign_in(client, adele)
    assert client.get("/")["Location"] == "/setup/"
    secret = secret_on(client.get("/setup/method/authenticator_code/").content)
    client.post(
        "/setup/method/authenticator_code/", {"code": totp_code(secret, clock.now().timestamp())}
    )
    client.post("/setup/done/")
    assert security_state(adele).mfa_state == MfaState.ENFORCED


def test_reconfirmation_is_asked_after_the_policy_period(
    adele: User,
    add_authenticator,
    clock: FrozenClock,
) -> None:
    _registered, secret = add_authenticator(adele)
    state = security_state(adele)
    state.info_confirmed_at = clock.now()
    state.save()
    clock.advance(181 * 86400)
    client = Client()
    client.post("/signin/", {"username": adele.username, "password": DEFAULT_PASSWORD})
    client.post("/signin/verify/", {"code": totp_code(secret, clock.now().timestamp())})
    assert client.get("/")["Location"] == "/setup/reconfirm/"
    assert b"still right" in client.get("/setup/reconfirm/").content
    assert client.post("/setup/reconfirm/")["Location"] == "/"
    assert client.get("/").status_code == 200
    assert security_state(adele).info_confirmed_at == clock.now()


def test_days_left_to_postpone_count_part_days_as_days(adele: User, clock: FrozenClock) -> None:
    from twofold.policy.services import may_postpone_registration, postpone_registration

    policy = get_policy()
    policy.postpone_days = 3
    policy.save()
    assert may_postpone_registration(adele) == 3
    assert postpone_registration(adele)
    clock.advance(1.5 * 86400)
    assert may_postpone_registration(adele) == 2
    clock.advance(1.4 * 86400)
    assert may_postpone_registration(adele) == 1
    clock.advance(0.2 * 86400)
    assert may_postpone_registration(adele) == 0
    assert not postpone_registration(adele)


def test_wizard_and_security_info_speak_dutch(adele: User, clock: FrozenClock) -> None:
    client = Client(HTTP_ACCEPT_LANGUAGE="nl")
    sign_in(client, adele)
    start = client.get("/setup/").content.decode()
    assert "Houd uw account veilig" in start
    method_page = client.get("/setup/method/authenticator_code/").content.decode()
    assert "Kunt u de QR-code niet scannen?" in method_page
    secret = secret_on(method_page.encode())
    client.post(
        "/setup/method/authenticator_code/", {"code": totp_code(secret, clock.now().timestamp())}
    )
    assert "Gelukt!" in client.get("/setup/done/").content.decode()
    client.post("/setup/done/")
    assert "Beveiligingsgegevens" in client.get("/security-info/").content.decode()


def test_wizard_asks_for_two_kinds_when_reset_needs_two(adele: User, clock: FrozenClock) -> None:
    policy = get_policy()
    policy.sspr_methods_required = 2
    policy.save()
    client = Client()
    sign_in(client, adele)
    assert b"Method 1 of 2" in client.get("/setup/").content
    secret = secret_on(client.get("/setup/method/authenticator_code/").content)
    code = totp_code(secret, clock.now().timestamp())
    assert client.post("/setup/method/authenticator_code/", {"code": code})["Location"] == "/setup/"
    second = client.get("/setup/").content.decode()
    assert "Method 2 of 2" in second
    # Another authenticator app is the same kind: it doesn't count as a second method.
    assert "setup/method/authenticator_code/" not in second
    assert client.get("/")["Location"] == "/setup/"


def test_after_the_wizard_the_user_goes_where_they_were_going(
    adele: User, clock: FrozenClock
) -> None:
    client = Client()
    client.post(
        "/signin/",
        {"username": adele.username, "password": DEFAULT_PASSWORD, "next": "/account/password/"},
    )
    secret = secret_on(client.get("/setup/method/authenticator_code/").content)
    code = totp_code(secret, clock.now().timestamp())
    client.post("/setup/method/authenticator_code/", {"code": code})
    assert client.post("/setup/done/")["Location"] == "/account/password/"


def test_wizard_registers_the_twofold_authenticator_with_a_code_when_notifications_are_off(
    adele: User, clock: FrozenClock
) -> None:
    from tests.push.soft_device import SoftDevice
    from twofold.policy.services import forget_policy_snapshot

    MethodPolicy.objects.create(method_key="authenticator_app", options={"notifications": False})
    forget_policy_snapshot()
    client = Client()
    sign_in(client, adele)
    page = client.get("/setup/method/authenticator_app/")
    code = re.search(rb'id="activation-code">([\d ]+)<', page.content)
    assert code, "the activation code is shown for manual entry"
    device = SoftDevice()
    secret = device.activate(code.group(1).decode()).totp_secret

    step = client.post("/setup/method/authenticator_app/", {"action": "check"})
    asked = client.get(step["Location"]) if step.status_code == 302 else step
    assert b"Enter the 6-digit code the app shows" in asked.content
    assert b"push-number" not in asked.content and device.pending() == []
    assert b'value="restart"' in asked.content, "an app that lost the account can start over"

    wrong = client.post("/setup/method/authenticator_app/", {"action": "finish", "code": "000000"})
    assert wrong.status_code == 400
    assert b"That code didn&#x27;t work" in wrong.content
    good = totp_code(secret, clock.now().timestamp())
    done = client.post("/setup/method/authenticator_app/", {"action": "finish", "code": good})
    assert done["Location"] == "/setup/done/"
    assert RegisteredMethod.objects.get(user=adele).kind == "authenticator_app"

    client.post("/signout/")
    sign_in(client, adele)
    verify = client.get("/signin/verify/")
    assert b"Enter the 6-digit code shown in Twofold Authenticator" in verify.content
    assert b"push-number" not in verify.content


def test_authenticator_app_links_to_its_fallback_inside_the_wizard(adele: User) -> None:
    client = Client()
    sign_in(client, adele)
    page = client.get("/setup/method/authenticator_app/")
    assert b'href="/setup/method/authenticator_code/"' in page.content
    assert b"I want to use a different authenticator app" in page.content


def test_no_fallback_link_when_policy_switches_the_fallback_off(adele: User) -> None:
    from twofold.policy.services import forget_policy_snapshot

    MethodPolicy.objects.create(method_key="authenticator_code", enabled=False)
    forget_policy_snapshot()
    client = Client()
    sign_in(client, adele)
    page = client.get("/setup/method/authenticator_app/")
    assert page.status_code == 200
    assert b"I want to use a different authenticator app" not in page.content
