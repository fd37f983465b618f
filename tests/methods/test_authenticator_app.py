"""The Twofold Authenticator's policy options: codes only, and what a notification shows."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.sessions.backends.signed_cookies import SessionStore
from django.test import RequestFactory

from tests.conftest import FrozenClock, totp_code
from tests.push.conftest import register_device
from tests.push.soft_device import SoftDevice
from twofold.accounts.models import User
from twofold.methods.base import ChallengeRefused, NotAnsweredYet, VerificationFailed
from twofold.methods.flows import register_method, verify_method
from twofold.methods.registry import get_method
from twofold.policy.models import MethodPolicy
from twofold.policy.services import forget_policy_snapshot
from twofold.push import services
from twofold.push.models import PushChallenge

pytestmark = pytest.mark.django_db


def set_options(**options: Any) -> None:
    MethodPolicy.objects.update_or_create(
        method_key=services.METHOD_KEY, defaults={"options": options}
    )
    forget_policy_snapshot()


def app_method():
    method = get_method(services.METHOD_KEY)
    assert method is not None
    return method


def sign_in_request(**headers: str):
    request = RequestFactory().get("/signin/verify/", REMOTE_ADDR="198.51.100.7", **headers)
    request.session = SessionStore()
    return request


def activated(user: User, clock: FrozenClock) -> tuple[dict[str, Any], SoftDevice]:
    method = app_method()
    pending = method.begin_registration(user)
    device = SoftDevice()
    device.activate(pending["code"])
    advanced = method.advance_registration(user, pending, {"action": "check"}, clock.now())
    assert advanced is not None
    return advanced, device


def test_codes_only_registration_asks_for_a_code_instead_of_a_test_notification(
    adele: User, clock: FrozenClock
) -> None:
    set_options(notifications=False)
    pending, device = activated(adele, clock)
    assert pending["code_step"] is True
    assert device.pending() == [], "no notification was sent"

    method = app_method()
    with pytest.raises(NotAnsweredYet):
        method.finish_registration(adele, pending, {"action": "finish", "code": ""}, clock.now())
    wrong = totp_code(pending["totp_secret"], clock.now().timestamp() + 300)
    with pytest.raises(VerificationFailed):
        method.finish_registration(adele, pending, {"action": "finish", "code": wrong}, clock.now())

    code = totp_code(pending["totp_secret"], clock.now().timestamp())
    registered = register_method(adele, method, pending, {"action": "finish", "code": code})
    assert registered.lookup_key == device.device_id
    # The code that registered the app can't sign in as well.
    result = verify_method(registered, {"code": code}, request=None, state={})
    assert not result.ok


def test_codes_only_sign_in_sends_nothing_and_takes_a_code(adele: User, clock: FrozenClock) -> None:
    device, registered = register_device(adele)
    set_options(notifications=False)
    state = app_method().begin_challenge(registered, sign_in_request())
    assert state == {"codes_only": True}
    assert device.pending() == []
    context = app_method().challenge_context(registered, state, sign_in_request())
    assert context["codes_only"] is True

    without_code = verify_method(registered, {"code": ""}, request=None, state=state)
    assert not without_code.ok
    clock.advance(30)
    code = totp_code(registered.data["totp_secret"], clock.now().timestamp())
    assert verify_method(registered, {"code": code}, request=None, state=state).ok


def test_codes_only_reset_of_a_name_without_the_app_looks_the_same(
    adele: User, clock: FrozenClock
) -> None:
    set_options(notifications=False)
    method = app_method()
    state = method.look_alike_state(b"nobody")
    assert state == {"codes_only": True}
    assert method.look_alike_context(state) == {"error": "", "codes_only": True}
    assert not PushChallenge.objects.exists()


def test_notifications_show_app_and_location_unless_the_policy_hides_them(
    adele: User, clock: FrozenClock, settings
) -> None:
    settings.TWOFOLD_PUSH_LOCATION_HEADER = "X-Geo-City"
    settings.TWOFOLD_ORGANISATION_NAME = "Contoso"
    device, registered = register_device(adele)
    user_agent = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 Chrome/140.0 Safari/537.36"
    request = sign_in_request(HTTP_X_GEO_CITY="Utrecht, NL", HTTP_USER_AGENT=user_agent)

    app_method().begin_challenge(registered, request)
    (shown,) = device.pending()
    assert (shown["app"], shown["ip"], shown["location"]) == (
        "Contoso",
        "198.51.100.7",
        "Utrecht, NL",
    )
    assert shown["browser"] == "Chrome on Linux"

    set_options(show_app_name=False, show_location=False)
    clock.advance(5)
    app_method().begin_challenge(registered, request)
    (hidden,) = device.pending()
    assert (hidden["app"], hidden["ip"], hidden["location"]) == (None, None, None)
    assert hidden["browser"] == "Chrome on Linux"


def test_after_a_fraud_report_the_page_offers_nothing_that_could_work(
    adele: User, clock: FrozenClock
) -> None:
    device, registered = register_device(adele)
    method = app_method()
    state = method.begin_challenge(registered, sign_in_request())
    assert method.challenge_context(registered, state, sign_in_request())["blocked"] is False

    assert device.answer(device.pending()[0], "deny", None, report_fraud=True) == "fraud_reported"
    assert method.challenge_context(registered, state, sign_in_request())["blocked"] is True
    with pytest.raises(ChallengeRefused) as refused:
        method.begin_challenge(registered, sign_in_request())
    assert refused.value.blocked is True and "fraud report" in refused.value.message
    assert device.pending() == []
