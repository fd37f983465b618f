"""One contract every security method must meet, run for each method in the registry."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from django.contrib.sessions.backends.signed_cookies import SessionStore
from django.core import mail
from django.test import RequestFactory

from tests.conftest import FrozenClock, totp_code
from tests.methods.soft_authenticator import SoftAuthenticator, corrupt_signature
from tests.push.soft_device import SoftDevice
from twofold.accounts.models import User
from twofold.audit.models import AuditEvent
from twofold.messaging.models import Outbound
from twofold.methods.base import SecurityMethod, VerificationFailed
from twofold.methods.flows import (
    CODE_FAILURE_THRESHOLD,
    VerificationResult,
    method_of,
    register_method,
    verify_method,
)
from twofold.methods.models import RegisteredMethod
from twofold.methods.phone.keys import answer_call
from twofold.methods.registry import all_methods
from twofold.methods.security_questions.method import SecurityQuestionsMethod

pytestmark = pytest.mark.django_db


class AuthenticatorCodeDriver:
    """Plays the person's authenticator app."""

    guessable = True
    # Registration checks a proof of possession (a code, a call); questions have none.
    proves_possession = True

    def prepare_registration(
        self, method: SecurityMethod, user: User, pending: dict[str, Any], now: float
    ) -> dict[str, Any]:
        return pending

    def registration_proof(self, user: User, pending: dict[str, Any], now: float) -> dict[str, Any]:
        return {"code": totp_code(pending["secret"], now), "label": "work phone"}

    def wrong_registration_proof(
        self, user: User, pending: dict[str, Any], now: float
    ) -> dict[str, Any]:
        return self.wrong_proof(self.registration_proof(user, pending, now))

    def challenge_proof(
        self, registered: RegisteredMethod, now: float, state: dict[str, Any]
    ) -> dict[str, Any]:
        return {"code": totp_code(registered.data["secret"], now)}

    def wrong_proof(self, right: dict[str, Any], attempt: int = 0) -> dict[str, Any]:
        """A wrong proof, different for each attempt (a repeated one counts once)."""
        return {**right, "code": f"{(int(right['code']) + 1 + attempt) % 1_000_000:06d}"}


def last_outbound(user: User) -> Outbound:
    outbound = Outbound.objects.filter(user=user).order_by("-id").first()
    assert outbound is not None, "something was sent"
    return outbound


class TextDriver(AuthenticatorCodeDriver):
    """Plays a person reading the text on the dev phone."""

    def prepare_registration(
        self, method: SecurityMethod, user: User, pending: dict[str, Any], now: float
    ) -> dict[str, Any]:
        data = {"action": "send", "e164": user.mobile_phone}
        advanced = method.advance_registration(user, pending, data, clock_at(now))
        assert advanced is not None
        return advanced

    def registration_proof(self, user: User, pending: dict[str, Any], now: float) -> dict[str, Any]:
        return {"code": self._code_on_phone(user)}

    def challenge_proof(
        self, registered: RegisteredMethod, now: float, state: dict[str, Any]
    ) -> dict[str, Any]:
        assert "error" not in state, state
        return {"code": self._code_on_phone(registered.user)}

    @staticmethod
    def _code_on_phone(user: User) -> str:
        match = re.match(r"(\d{6}) ", last_outbound(user).body)
        assert match, "the text starts with the code"
        return match.group(1)


class CallDriver(TextDriver):
    """Plays a person answering the call on the dev phone."""

    guessable = False  # the proof is a key pressed on the phone, not something to guess

    def registration_proof(self, user: User, pending: dict[str, Any], now: float) -> dict[str, Any]:
        answer_call(Outbound.objects.get(token=pending["call_token"]), "#")
        return {}

    def wrong_registration_proof(
        self, user: User, pending: dict[str, Any], now: float
    ) -> dict[str, Any]:
        answer_call(Outbound.objects.get(token=pending["call_token"]), "1#")
        return {}

    def challenge_proof(
        self, registered: RegisteredMethod, now: float, state: dict[str, Any]
    ) -> dict[str, Any]:
        assert "error" not in state, state
        answer_call(Outbound.objects.get(token=state["call_token"]), "#")
        return {}


class OfficeCallDriver(CallDriver):
    def prepare_registration(
        self, method: SecurityMethod, user: User, pending: dict[str, Any], now: float
    ) -> dict[str, Any]:
        advanced = method.advance_registration(user, pending, {"action": "send"}, clock_at(now))
        assert advanced is not None
        assert last_outbound(user).extension == user.office_phone_extension
        return advanced


class EmailDriver(TextDriver):
    """Plays a person reading the email (Django's test outbox)."""

    address = "adele.home@example.org"

    def prepare_registration(
        self, method: SecurityMethod, user: User, pending: dict[str, Any], now: float
    ) -> dict[str, Any]:
        data = {"action": "send", "email": self.address}
        advanced = method.advance_registration(user, pending, data, clock_at(now))
        assert advanced is not None
        return advanced

    @staticmethod
    def _code_on_phone(user: User) -> str:
        match = re.search(r"code is (\d{6})", mail.outbox[-1].body)
        assert match, mail.outbox[-1].body
        return match.group(1)


class QuestionsDriver(AuthenticatorCodeDriver):
    """Plays a person who remembers their answers."""

    proves_possession = False
    answers = {
        "first_school": "De Regenboog",
        "first_pet": "Rex the dog",
        "first_concert": "U2 in Rotterdam",
    }

    def registration_proof(self, user: User, pending: dict[str, Any], now: float) -> dict[str, Any]:
        form = SecurityQuestionsMethod().make_registration_form(
            user,
            {
                f"{field}_{number}": value
                for number, (key, answer) in enumerate(self.answers.items(), start=1)
                for field, value in (("question", key), ("answer", answer))
            },
        )
        assert form.is_valid(), form.errors
        return form.cleaned_data

    def challenge_proof(
        self, registered: RegisteredMethod, now: float, state: dict[str, Any]
    ) -> dict[str, Any]:
        # Typed differently from registration: case and spacing don't matter.
        return {
            f"answer_{index}": f"  {self.answers[entry['question']].upper()} "
            for index, entry in enumerate(state["asked"])
        }

    def wrong_proof(self, right: dict[str, Any], attempt: int = 0) -> dict[str, Any]:
        return {**right, "answer_0": f"wrong answer {attempt}"}


class SecurityKeyDriver(AuthenticatorCodeDriver):
    """Plays a FIDO2 key (a software authenticator per user)."""

    def __init__(self) -> None:
        self.keys: dict[int, SoftAuthenticator] = {}

    def registration_proof(self, user: User, pending: dict[str, Any], now: float) -> dict[str, Any]:
        key = self.keys.setdefault(user.pk, SoftAuthenticator())
        return {"credential": key.create(pending["challenge"]), "name": "blue key"}

    def wrong_registration_proof(
        self, user: User, pending: dict[str, Any], now: float
    ) -> dict[str, Any]:
        key = self.keys.setdefault(user.pk, SoftAuthenticator())
        return {"credential": key.create("bm90LXRoZS1jaGFsbGVuZ2U"), "name": "blue key"}

    def challenge_proof(
        self, registered: RegisteredMethod, now: float, state: dict[str, Any]
    ) -> dict[str, Any]:
        return {"credential": self.keys[registered.user.pk].assert_(state["challenge"])}

    def wrong_proof(self, right: dict[str, Any], attempt: int = 0) -> dict[str, Any]:
        return {"credential": corrupt_signature(right["credential"], attempt)}


class AuthenticatorAppDriver(AuthenticatorCodeDriver):
    """Plays the Twofold Authenticator: activates, then approves with the number shown."""

    def __init__(self) -> None:
        self.devices: dict[int, SoftDevice] = {}

    def prepare_registration(
        self, method: SecurityMethod, user: User, pending: dict[str, Any], now: float
    ) -> dict[str, Any]:
        device = self.devices[user.pk] = SoftDevice()
        device.activate(pending["code"])
        advanced = method.advance_registration(user, pending, {"action": "check"}, clock_at(now))
        assert advanced is not None
        return advanced

    def registration_proof(self, user: User, pending: dict[str, Any], now: float) -> dict[str, Any]:
        assert self.devices[user.pk].approve_latest(pending["number"]) == "approved"
        return {"action": "finish"}

    def wrong_registration_proof(
        self, user: User, pending: dict[str, Any], now: float
    ) -> dict[str, Any]:
        wrong = f"{(int(pending['number']) + 1 - 10) % 90 + 10}"
        assert self.devices[user.pk].approve_latest(wrong) == "wrong_number"
        return {"action": "finish"}

    def challenge_proof(
        self, registered: RegisteredMethod, now: float, state: dict[str, Any]
    ) -> dict[str, Any]:
        assert "error" not in state, state
        assert self.devices[registered.user.pk].approve_latest(state["number"]) == "approved"
        return {}

    def wrong_proof(self, right: dict[str, Any], attempt: int = 0) -> dict[str, Any]:
        return {"code": f"{(123456 + attempt) % 1_000_000:06d}"}


def clock_at(now: float) -> dt.datetime:
    return dt.datetime.fromtimestamp(now, tz=dt.UTC)


DRIVERS: dict[str, Any] = {
    "authenticator_app": AuthenticatorAppDriver(),
    "authenticator_code": AuthenticatorCodeDriver(),
    "phone_text": TextDriver(),
    "phone_call": CallDriver(),
    "office_call": OfficeCallDriver(),
    "email": EmailDriver(),
    "security_questions": QuestionsDriver(),
    "security_key": SecurityKeyDriver(),
}


@pytest.fixture
def adele(make_user: Any) -> User:
    """A user with the directory's phones, so every kind of method can be registered."""
    return make_user(
        mobile_phone="+31612345678", office_phone="+31201234567", office_phone_extension="1234"
    )


def test_every_registered_method_is_in_the_contract_suite() -> None:
    assert {method.key for method in all_methods()} == set(DRIVERS)


@pytest.fixture(params=sorted(DRIVERS))
def method(request: pytest.FixtureRequest) -> SecurityMethod:
    return next(m for m in all_methods() if m.key == request.param)


def begin(registered: RegisteredMethod) -> dict[str, Any]:
    """Start a challenge the way the challenge page does."""
    request = RequestFactory().get("/signin/verify/")
    request.session = SessionStore()
    return method_of(registered).begin_challenge(registered, request)


def answer(registered: RegisteredMethod, clock: FrozenClock) -> VerificationResult:
    state = begin(registered)
    proof = DRIVERS[registered.kind].challenge_proof(registered, clock.now().timestamp(), state)
    return verify_method(registered, proof, state=state)


def register(method: SecurityMethod, user: User, clock: FrozenClock) -> RegisteredMethod:
    driver = DRIVERS[method.key]
    now = clock.now().timestamp()
    pending = driver.prepare_registration(method, user, method.begin_registration(user), now)
    registered = register_method(
        user, method, pending, driver.registration_proof(user, pending, now)
    )
    clock.advance(30)
    return registered


def test_method_declares_what_it_is_for(method: SecurityMethod) -> None:
    assert method.name and method.description
    assert isinstance(method.for_two_step, bool) and isinstance(method.for_password_reset, bool)
    assert method.for_two_step or method.for_password_reset


# RFC 8176 section 2: the values a second step can be reported as in an ID token's "amr".
RFC_8176_SECOND_STEPS = {"otp", "sms", "tel", "hwk", "swk", "face", "fpt", "iris", "pin"}


def test_method_says_its_amr_when_it_is_a_second_step(method: SecurityMethod) -> None:
    if method.for_two_step:
        assert method.amr in RFC_8176_SECOND_STEPS
    else:
        assert method.amr is None


def test_method_falls_back_only_to_a_registered_method(method: SecurityMethod) -> None:
    if method.fallback_key is not None:
        assert method.fallback_key in {other.key for other in all_methods()}
        assert method.fallback_key != method.key


def test_registration_with_proof_saves_the_method_encrypted(
    method: SecurityMethod, adele: User, clock: FrozenClock
) -> None:
    pending = method.begin_registration(adele)
    registered = register(method, adele, clock)
    assert RegisteredMethod.objects.filter(user=adele, kind=method.key).count() == 1
    for value in pending.values():
        assert str(value) not in registered.encrypted_data, "secrets are encrypted at rest"
    assert registered.is_default is method.for_two_step
    assert method.describe(registered)
    assert AuditEvent.objects.filter(kind=AuditEvent.Kind.METHOD_REGISTERED, user=adele).exists()


@pytest.fixture(params=sorted(key for key, driver in DRIVERS.items() if driver.proves_possession))
def proving_method(request: pytest.FixtureRequest) -> SecurityMethod:
    return next(m for m in all_methods() if m.key == request.param)


def test_registration_with_a_wrong_proof_saves_nothing(
    proving_method: SecurityMethod, adele: User, clock: FrozenClock
) -> None:
    method = proving_method
    driver = DRIVERS[method.key]
    now = clock.now().timestamp()
    pending = driver.prepare_registration(method, adele, method.begin_registration(adele), now)
    wrong = driver.wrong_registration_proof(adele, pending, now)
    with pytest.raises(VerificationFailed):
        register_method(adele, method, pending, wrong)
    assert not RegisteredMethod.objects.filter(user=adele).exists()
    failures = AuditEvent.objects.filter(kind=AuditEvent.Kind.MFA_FAILED, user=adele)
    assert failures.exists() is driver.guessable


def test_right_proof_verifies_once_and_is_recorded(
    method: SecurityMethod, adele: User, clock: FrozenClock
) -> None:
    registered = register(method, adele, clock)
    state = begin(registered)
    proof = DRIVERS[method.key].challenge_proof(registered, clock.now().timestamp(), state)
    assert verify_method(registered, proof, state=state).ok
    registered.refresh_from_db()
    assert registered.last_used_at == clock.now()
    replay = verify_method(registered, proof, state=state)
    assert not replay.ok, "a proof is accepted once, even with the same challenge state"
    kinds = list(AuditEvent.objects.filter(user=adele).values_list("kind", flat=True))
    assert AuditEvent.Kind.MFA_SUCCEEDED in kinds and AuditEvent.Kind.MFA_FAILED in kinds


@pytest.fixture(params=sorted(key for key, driver in DRIVERS.items() if driver.guessable))
def guessable_method(request: pytest.FixtureRequest) -> SecurityMethod:
    """Methods whose proof can be guessed (codes); a call's key press can't be."""
    return next(m for m in all_methods() if m.key == request.param)


def test_wrong_proofs_lock_verification_then_it_recovers(
    guessable_method: SecurityMethod, adele: User, clock: FrozenClock
) -> None:
    method = guessable_method
    driver = DRIVERS[method.key]
    registered = register(method, adele, clock)
    results = []
    state = begin(registered)
    right = driver.challenge_proof(registered, clock.now().timestamp(), state)
    for attempt in range(CODE_FAILURE_THRESHOLD):
        wrong = driver.wrong_proof(right, attempt)
        results.append(verify_method(registered, wrong, state=state))
    assert all(not r.ok for r in results)
    assert results[-1].retry_after_seconds == 60
    assert "Too many wrong codes" in results[-1].message
    assert not verify_method(registered, right, state=state).ok, "the right proof waits too"
    assert AuditEvent.objects.filter(kind=AuditEvent.Kind.MFA_LOCKED, user=adele).count() == 1
    clock.advance(61)
    assert answer(registered, clock).ok
