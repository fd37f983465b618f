"""One contract every security method must meet, run for each method in the registry."""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import pytest
from django.contrib.sessions.backends.signed_cookies import SessionStore
from django.core import mail
from django.db import connection
from django.test import Client, RequestFactory
from django.test.utils import CaptureQueriesContext
from django.utils.html import escape

from tests.conftest import DEFAULT_PASSWORD as PASSWORD
from tests.conftest import FrozenClock, totp_code
from tests.methods.soft_authenticator import SoftAuthenticator, corrupt_signature
from tests.push.soft_device import SoftDevice
from tests.sspr.helpers import start
from twofold.accounts.lockout import CODE_FAILURE_THRESHOLD
from twofold.accounts.models import User
from twofold.accounts.sessions import SESSION_AMR, SESSION_PENDING_CHALLENGES
from twofold.audit.models import AuditEvent
from twofold.messaging.models import Outbound
from twofold.methods import encryption
from twofold.methods.base import SecurityMethod, VerificationFailed
from twofold.methods.flows import (
    VerificationResult,
    method_of,
    register_method,
    verify_method,
)
from twofold.methods.models import RegisteredMethod
from twofold.methods.phone.keys import answer_call
from twofold.methods.purposes import Purpose
from twofold.methods.registry import all_methods, get_method
from twofold.methods.security_questions.catalogue import BUILT_IN
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

    def page_proof(
        self, registered: RegisteredMethod, now: float, state: dict[str, Any]
    ) -> dict[str, Any]:
        """What a challenge page is posted with for the right answer."""
        return self.challenge_proof(registered, now, state)

    def page_wrong_proof(
        self, registered: RegisteredMethod, now: float, state: dict[str, Any]
    ) -> dict[str, Any]:
        """What a challenge page is posted with for a wrong answer."""
        return self.wrong_proof(self.challenge_proof(registered, now, state))


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

    def page_wrong_proof(
        self, registered: RegisteredMethod, now: float, state: dict[str, Any]
    ) -> dict[str, Any]:
        return {}  # "Verify" while the call still rings: nobody pressed #


ALTERNATE_NUMBER = "+31687654321"


class AlternateCallDriver(CallDriver):
    """Plays a person answering their other mobile phone."""

    def prepare_registration(
        self, method: SecurityMethod, user: User, pending: dict[str, Any], now: float
    ) -> dict[str, Any]:
        data = {"action": "send", "e164": ALTERNATE_NUMBER}
        advanced = method.advance_registration(user, pending, data, clock_at(now))
        assert advanced is not None
        assert last_outbound(user).to_number == ALTERNATE_NUMBER
        return advanced


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

    def page_proof(
        self, registered: RegisteredMethod, now: float, state: dict[str, Any]
    ) -> dict[str, Any]:
        if state.get("codes_only"):
            # No notification (the reset portal's first step): the code the app shows.
            return {"code": totp_code(registered.data["totp_secret"], now)}
        return self.challenge_proof(registered, now, state)

    def page_wrong_proof(
        self, registered: RegisteredMethod, now: float, state: dict[str, Any]
    ) -> dict[str, Any]:
        right = totp_code(registered.data["totp_secret"], now)
        return {"code": f"{(int(right) + 1) % 1_000_000:06d}"}


def clock_at(now: float) -> dt.datetime:
    return dt.datetime.fromtimestamp(now, tz=dt.UTC)


DRIVERS: dict[str, Any] = {
    "authenticator_app": AuthenticatorAppDriver(),
    "authenticator_code": AuthenticatorCodeDriver(),
    "phone_text": TextDriver(),
    "phone_call": CallDriver(),
    "alternate_phone_call": AlternateCallDriver(),
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


# --- Through the pages: sign-in, step-up and the reset portal ------------------------------
#
# Each method is driven through the real pages with Django's test client. The driver reads the
# begun challenge from the session (the state the page was rendered from) and plays the person.


def page_proof(registered: RegisteredMethod, now: float, state: dict[str, Any]) -> dict[str, Any]:
    """The right answer posted on a challenge page."""
    return DRIVERS[registered.kind].page_proof(registered, now, state)


def page_wrong_proof(
    registered: RegisteredMethod, now: float, state: dict[str, Any]
) -> dict[str, Any]:
    """A wrong answer posted on a challenge page; the right one still works after it."""
    return DRIVERS[registered.kind].page_wrong_proof(registered, now, state)


def open_state(client: Client, slot: str) -> dict[str, Any]:
    """The begun challenge's state the page was rendered from (see challenges._slot)."""
    token = client.session[SESSION_PENDING_CHALLENGES][slot]
    return dict(encryption.decrypt_json(token)["state"])


def assert_refused_with_a_message(response: Any) -> None:
    assert 400 <= response.status_code < 500, response.status_code
    errors = response.context["form"].non_field_errors()
    assert errors, "the page says why"
    assert escape(errors[0]) in response.content.decode()


@pytest.fixture(params=sorted(m.key for m in all_methods() if m.for_two_step))
def two_step_method(request: pytest.FixtureRequest) -> SecurityMethod:
    return next(m for m in all_methods() if m.key == request.param)


def pass_second_step(client: Client, registered: RegisteredMethod, clock: FrozenClock) -> Any:
    """Password, then a wrong answer (refused) and the right one on /signin/verify/."""
    password = client.post("/signin/", {"username": registered.user.username, "password": PASSWORD})
    assert password["Location"] == "/signin/verify/"
    page = client.get("/signin/verify/")
    assert page.status_code == 200 and page.context["method"].key == registered.kind
    state = open_state(client, f"{Purpose.SIGN_IN}:{registered.pk}")
    now = clock.now().timestamp()
    posted = {"method": registered.pk}
    wrong = client.post("/signin/verify/", posted | page_wrong_proof(registered, now, state))
    assert_refused_with_a_message(wrong)
    assert "_auth_user_id" not in client.session, "a wrong answer signs nobody in"
    return client.post("/signin/verify/", posted | page_proof(registered, now, state))


def test_sign_in_second_step_takes_the_right_answer_and_refuses_a_wrong_one(
    two_step_method: SecurityMethod,
    adele: User,
    clock: FrozenClock,
    registration_not_required: None,
) -> None:
    registered = register(two_step_method, adele, clock)
    client = Client()
    right = pass_second_step(client, registered, clock)
    assert right.status_code == 302 and right["Location"] == "/"
    assert client.session["_auth_user_id"] == str(adele.pk)
    assert two_step_method.key in client.session[SESSION_AMR]


def test_step_up_takes_the_right_answer_and_refuses_a_wrong_one(
    two_step_method: SecurityMethod,
    adele: User,
    clock: FrozenClock,
    registration_not_required: None,
) -> None:
    registered = register(two_step_method, adele, clock)
    client = Client()
    assert pass_second_step(client, registered, clock).status_code == 302
    clock.advance(11 * 60)  # past the step-up window: changes need a fresh verification
    add_url = f"/security-info/add/{two_step_method.key}/"
    assert client.get(add_url)["Location"].startswith("/security-info/verify/")
    page = client.get("/security-info/verify/", {"next": add_url})
    assert page.status_code == 200 and page.context["method"].key == two_step_method.key
    state = open_state(client, f"{Purpose.STEP_UP}:{registered.pk}")
    now = clock.now().timestamp()
    posted = {"method": registered.pk, "next": add_url}
    wrong = client.post("/security-info/verify/", posted | page_wrong_proof(registered, now, state))
    assert_refused_with_a_message(wrong)
    assert client.get(add_url).status_code == 302, "a wrong answer steps nothing up"
    right = client.post("/security-info/verify/", posted | page_proof(registered, now, state))
    assert right.status_code == 302 and right["Location"] == add_url
    assert client.get(add_url).status_code == 200


# The reset portal: a real account with the method, a made-up name, and a real account
# without the method must get the same pages and leave the same rows behind.

MADE_UP = "nobody@contoso.example"
WITHOUT_METHOD = "alex@contoso.example"
# What the person types when the portal asks for the method's address or number first.
TYPED_CONTACT = {
    "phone_text": "+31612345678",
    "phone_call": "+31612345678",
    "alternate_phone_call": ALTERNATE_NUMBER,
    "office_call": "+31201234567",
    "email": EmailDriver.address,
}

_WRITE = re.compile(r'^\s*(INSERT\s+INTO|UPDATE|DELETE\s+FROM)\s+[`"]?(\w+)', re.IGNORECASE)


@contextmanager
def counting_writes() -> Iterator[Counter[str]]:
    """Statements that write, per table and kind: "INSERT messaging_outbound" -> 1."""
    counts: Counter[str] = Counter()
    with CaptureQueriesContext(connection) as captured:
        yield counts
    for query in captured.captured_queries:
        match = _WRITE.match(query["sql"])
        if match:
            counts[f"{match.group(1).split()[0].upper()} {match.group(2)}"] += 1


def normalised(response: Any, name: str) -> tuple[int, str]:
    """The page without what differs per request by design (tokens, the typed name, a
    fresh WebAuthn challenge, credential ids, which security questions were picked)."""
    text = response.content.decode()
    text = re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", text)
    text = text.replace(name, "NAME")
    # The WebAuthn options (a JSON string inside json_script, so its quotes are escaped).
    text = re.sub(r'(challenge\\?": \\?")[\w-]+', r"\1CHALLENGE", text)
    text = re.sub(r'(id\\?": \\?")[\w-]{16,}', r"\1CREDENTIAL", text)
    for question in BUILT_IN.values():
        text = text.replace(escape(str(question)), "QUESTION")
    return response.status_code, text


@dataclass
class ResetWalk:
    """What one walk through the portal showed and wrote."""

    pages: list[tuple[int, str]]
    begin_writes: Counter[str]
    answer_writes: Counter[str]
    wrong: dict[str, Any]


def walk_reset(
    name: str,
    method: SecurityMethod,
    clock: FrozenClock,
    registered: RegisteredMethod | None = None,
    wrong: dict[str, Any] | None = None,
    address: str = "192.0.2.1",
) -> ResetWalk:
    """Start a reset for ``name``, begin ``method``'s challenge, answer it wrong.

    ``wrong`` is the answer to post; made up from ``registered`` when None. Each walk comes
    from its own ``address``, so counters per address start afresh (an INSERT, not an UPDATE).
    """
    client = Client(REMOTE_ADDR=address)
    assert start(client, name)["Location"] == "/reset/verify/"
    url = f"/reset/verify/{method.key}/"
    pages = []
    with counting_writes() as begin_writes:
        page = client.get(url)
        if method.key in TYPED_CONTACT:
            pages.append(normalised(page, name))
            typed = client.post(url, {"contact": TYPED_CONTACT[method.key]})
            assert typed["Location"] == url
            page = client.get(url)
    pages.append(normalised(page, name))
    if wrong is None:
        assert registered is not None
        state = open_state(client, f"{Purpose.PASSWORD_RESET}:{method.key}")
        wrong = page_wrong_proof(registered, clock.now().timestamp(), state)
    with counting_writes() as answer_writes:
        refused = client.post(url, wrong)
    assert_refused_with_a_message(refused)
    pages.append(normalised(refused, name))
    return ResetWalk(pages, begin_writes, answer_writes, wrong)


@pytest.fixture(params=sorted(m.key for m in all_methods() if m.for_password_reset))
def reset_method(request: pytest.FixtureRequest) -> SecurityMethod:
    return next(m for m in all_methods() if m.key == request.param)


def test_reset_portal_takes_the_right_answer_and_refuses_a_wrong_one(
    reset_method: SecurityMethod, adele: User, clock: FrozenClock
) -> None:
    registered = register(reset_method, adele, clock)
    client = Client()
    start(client, adele.username)
    url = f"/reset/verify/{reset_method.key}/"
    if reset_method.key in TYPED_CONTACT:
        client.post(url, {"contact": TYPED_CONTACT[reset_method.key]})
    assert client.get(url).status_code == 200
    state = open_state(client, f"{Purpose.PASSWORD_RESET}:{reset_method.key}")
    now = clock.now().timestamp()
    assert_refused_with_a_message(client.post(url, page_wrong_proof(registered, now, state)))
    right = client.post(url, page_proof(registered, now, state))
    assert right.status_code == 302 and right["Location"] == "/reset/verify/"
    assert client.get("/reset/verify/")["Location"].startswith("/reset/password/")


def the_same_walk_without_the_method(
    method: SecurityMethod, other: str, make_user: Any, adele: User, clock: FrozenClock
) -> tuple[ResetWalk, ResetWalk]:
    """Walk the portal for adele (who has ``method``), then for ``other`` with the same answer:
    a made-up name, or a real account with other security info but not ``method``."""
    registered = register(method, adele, clock)
    real = walk_reset(adele.username, method, clock, registered)
    if other == WITHOUT_METHOD:
        alex = make_user(WITHOUT_METHOD)
        other_kind = (
            "authenticator_code" if method.key == "security_questions" else "security_questions"
        )
        other_method = get_method(other_kind)
        assert other_method is not None
        register(other_method, alex, clock)
    return real, walk_reset(other, method, clock, wrong=real.wrong, address="192.0.2.2")


OTHERS = [MADE_UP, WITHOUT_METHOD]


def _reset_params() -> list[Any]:
    return [
        pytest.param(key, other, id=f"{key}-{'made-up' if other == MADE_UP else 'without-method'}")
        for key in sorted(m.key for m in all_methods() if m.for_password_reset)
        for other in OTHERS
    ]


@pytest.mark.parametrize(("key", "other"), _reset_params())
def test_reset_pages_and_wrong_answer_writes_are_the_same_without_the_method(
    key: str, other: str, make_user: Any, adele: User, clock: FrozenClock
) -> None:
    method = get_method(key)
    assert method is not None
    real, ghost = the_same_walk_without_the_method(method, other, make_user, adele, clock)
    assert ghost.pages == real.pages
    assert real.answer_writes, "a wrong answer leaves a record"
    assert dict(ghost.answer_writes) == dict(real.answer_writes)


@pytest.mark.parametrize(("key", "other"), _reset_params())
def test_reset_begin_writes_the_same_rows_without_the_method(
    key: str, other: str, make_user: Any, adele: User, clock: FrozenClock
) -> None:
    method = get_method(key)
    assert method is not None
    real, ghost = the_same_walk_without_the_method(method, other, make_user, adele, clock)
    assert dict(ghost.begin_writes) == dict(real.begin_writes)
