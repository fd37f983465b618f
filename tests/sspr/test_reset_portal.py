from __future__ import annotations

import re

import pytest
from django.core import mail
from django.test import Client, override_settings

from tests.conftest import DEFAULT_PASSWORD, FrozenClock
from tests.sspr.helpers import (
    HOME_EMAIL,
    add_email,
    add_questions,
    answers_for,
    last_code_in_mail,
    solved_captcha,
    start,
)
from twofold.accounts.models import SignInThrottle, User, UserSession
from twofold.accounts.passwords_check import Outcome, verify_password
from twofold.audit.models import AuditEvent
from twofold.policy.services import get_policy

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "a-fresh-long-passphrase-9"


def normalised(html: bytes, *names: str) -> str:
    """The page without what differs per request anyway (tokens, the typed name)."""
    text = html.decode()
    text = re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", text)
    text = re.sub(r'id="captcha-challenge" type="application/json">[^<]+<', "", text)
    text = re.sub(r'name="sum_token" value="[^"]+"', "", text)
    text = re.sub(r"how much is \d \+ \d", "", text)
    for name in names:
        text = text.replace(name, "NAME")
    return text


def test_start_page_offers_the_check_and_an_accessible_sum(db: None) -> None:
    page = Client().get("/reset/")
    assert page.status_code == 200
    body = page.content.decode()
    assert 'id="captcha-challenge"' in body and "how much is" in body


@pytest.mark.parametrize(
    ("username", "message"),
    [
        ("", "Enter your account name"),
        ("x" * 10_000, "at most 254 characters"),
        ("' OR 1=1 --", "name@organisation"),
        ("adele\x00@contoso.example", "Null characters are not allowed."),
    ],
)
def test_bad_account_names_get_a_clear_message(db: None, username: str, message: str) -> None:
    client = Client()
    page = client.get("/reset/")
    response = client.post(
        "/reset/", {"username": username, "captcha": solved_captcha(page.context)}
    )
    assert response.status_code == 400
    assert message in response.content.decode()


def test_without_the_check_nothing_starts(adele: User) -> None:
    client = Client()
    response = client.post("/reset/", {"username": adele.username})
    assert response.status_code == 400
    assert "check that you" in response.content.decode()
    assert not AuditEvent.objects.filter(kind=AuditEvent.Kind.PASSWORD_RESET_STARTED).exists()


def test_a_solved_check_works_once(adele: User) -> None:
    client = Client()
    payload = solved_captcha(client.get("/reset/").context)
    assert (
        client.post("/reset/", {"username": adele.username, "captcha": payload}).status_code == 302
    )
    again = Client().post("/reset/", {"username": adele.username, "captcha": payload})
    assert again.status_code == 400


def test_the_sum_is_the_alternative_to_the_check(adele: User) -> None:
    client = Client()
    page = client.get("/reset/")
    wrong = client.post(
        "/reset/",
        {"username": adele.username, "sum_token": page.context["sum_token"], "sum_answer": "99"},
    )
    assert wrong.status_code == 400
    # A wrong answer uses the sum up; the page asks a new one.
    question = re.search(r"how much is (\d) \+ (\d)", wrong.content.decode())
    assert question
    right = str(int(question.group(1)) + int(question.group(2)))
    token = wrong.context["sum_token"]
    ok = client.post(
        "/reset/", {"username": adele.username, "sum_token": token, "sum_answer": right}
    )
    assert ok.status_code == 302


def test_same_pages_whether_or_not_the_account_exists(make_user) -> None:
    real = make_user("adele@contoso.example")
    add_email(real)
    add_questions(real)
    pages = {}
    for name in ["adele@contoso.example", "nobody@contoso.example"]:
        client = Client()
        assert start(client, name)["Location"] == "/reset/verify/"
        choose = client.get("/reset/verify/")
        contact = client.get("/reset/verify/email/")
        client.post("/reset/verify/email/", {"contact": "someone@example.org"})
        after_contact = client.get("/reset/verify/email/")
        wrong_code = client.post("/reset/verify/email/", {"code": "123456"})
        questions = client.get("/reset/verify/security_questions/")
        pages[name] = [
            (choose.status_code, normalised(choose.content, name)),
            (contact.status_code, normalised(contact.content, name)),
            (after_contact.status_code, normalised(after_contact.content, name)),
            (wrong_code.status_code, normalised(wrong_code.content, name)),
            (questions.status_code, len(questions.context["form"].fields)),
        ]
    real_pages, ghost_pages = pages.values()
    assert real_pages == ghost_pages
    assert len(mail.outbox) == 1, "only the registration code; nothing went to a wrong address"


def test_made_up_questions_stay_the_same_for_a_name(db: None) -> None:
    asked = []
    for _ in range(2):
        client = Client()
        start(client, "nobody@contoso.example")
        page = client.get("/reset/verify/security_questions/")
        asked.append([field.label for field in page.context["form"].fields.values()])
    assert asked[0] == asked[1] and len(asked[0]) == 3


def reset_with_email_and_questions(client: Client, user: User) -> str:
    policy = get_policy()
    policy.sspr_methods_required = 2
    policy.save()
    start(client, user.username)
    assert "step 1 of 2" in client.get("/reset/verify/").content.decode()
    client.post("/reset/verify/email/", {"contact": HOME_EMAIL.upper()})
    client.get("/reset/verify/email/")
    assert (
        client.post("/reset/verify/email/", {"code": last_code_in_mail()})["Location"]
        == "/reset/verify/"
    )
    step_two = client.get("/reset/verify/").content.decode()
    assert "step 2 of 2" in step_two and "/reset/verify/email/" not in step_two
    page = client.get("/reset/verify/security_questions/")
    response = client.post("/reset/verify/security_questions/", answers_for(page))
    assert response["Location"] == "/reset/verify/"
    password_url = client.get("/reset/verify/")["Location"]
    assert password_url.startswith("/reset/password/")
    return password_url


def test_reset_with_email_and_questions(adele: User, clock: FrozenClock) -> None:
    add_email(adele)
    add_questions(adele)
    # Signed in elsewhere and locked out here: both end with the reset.
    elsewhere = Client()
    elsewhere.post("/signin/", {"username": adele.username, "password": DEFAULT_PASSWORD})
    for i in range(10):
        verify_password(adele.username, f"wrong-{i}")
    assert SignInThrottle.objects.exists()
    client = Client()
    password_url = reset_with_email_and_questions(client, adele)
    weak = client.post(password_url, {"new_password1": "password", "new_password2": "password"})
    assert weak.status_code == 400 and "too common" in weak.content.decode()
    done = client.post(password_url, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    assert done["Location"] == "/reset/done/"
    assert verify_password(adele.username, NEW_PASSWORD).outcome == Outcome.ACCEPTED
    assert not UserSession.objects.filter(user=adele).exists(), "every session was signed out"
    assert AuditEvent.objects.filter(kind=AuditEvent.Kind.PASSWORD_RESET, user=adele).exists()
    notices = [message for message in mail.outbox if "was just reset" in message.body]
    assert sorted(to for notice in notices for to in notice.to) == sorted([adele.email, HOME_EMAIL])
    assert all(len(notice.to) == 1 for notice in notices), "each address gets its own message"


def test_reset_link_dies_once_used_and_in_another_browser(adele: User, clock: FrozenClock) -> None:
    add_email(adele)
    add_questions(adele)
    client = Client()
    password_url = reset_with_email_and_questions(client, adele)
    assert Client().get(password_url).status_code == 400, "another browser can't use the link"
    client.post(password_url, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    stale = client.get(password_url)
    assert stale.status_code == 400 and "no longer valid" in stale.content.decode()
    assert (
        client.post(password_url, {"new_password1": "x", "new_password2": "x"}).status_code == 400
    )


def test_a_reset_left_too_long_expires(adele: User, clock: FrozenClock) -> None:
    add_email(adele)
    client = Client()
    start(client, adele.username)
    clock.advance(16 * 60)
    assert client.get("/reset/verify/").status_code == 400
    assert client.get("/reset/verify/email/").status_code == 400


@pytest.mark.parametrize("name", ["adele@contoso.example", "nobody@contoso.example"])
def test_guessing_answers_locks_the_portal_for_real_and_unknown_names(make_user, name: str) -> None:
    user = make_user("adele@contoso.example")
    add_questions(user)
    client = Client()
    start(client, name)
    client.get("/reset/verify/security_questions/")
    statuses = [
        client.post(
            "/reset/verify/security_questions/",
            {"answer_0": f"guess {i}", "answer_1": "x y z", "answer_2": "a b c"},
        ).status_code
        for i in range(5)
    ]
    assert statuses == [401, 401, 401, 401, 429]


def test_the_same_wrong_answers_sent_again_count_every_time(adele: User) -> None:
    add_questions(adele)
    client = Client()
    start(client, adele.username)
    client.get("/reset/verify/security_questions/")
    same = {"answer_0": "guess", "answer_1": "x y z", "answer_2": "a b c"}
    statuses = [
        client.post("/reset/verify/security_questions/", same).status_code for _ in range(5)
    ]
    assert statuses == [401, 401, 401, 401, 429]


def test_strangers_failing_at_the_portal_lock_neither_sign_in_nor_the_second_step(
    adele: User, add_authenticator, clock: FrozenClock
) -> None:
    from tests.conftest import totp_code
    from twofold.methods.flows import verify_method

    registered, secret = add_authenticator(adele)
    add_questions(adele)
    stranger = Client()
    start(stranger, adele.username)
    stranger.get("/reset/verify/security_questions/")
    wrong = {"answer_0": "guess", "answer_1": "x y z", "answer_2": "a b c"}
    for _ in range(5):
        last = stranger.post("/reset/verify/security_questions/", wrong)
    assert last.status_code == 429
    assert verify_password(adele.username, DEFAULT_PASSWORD).outcome == Outcome.ACCEPTED
    code = totp_code(secret, clock.now().timestamp())
    assert verify_method(registered, {"code": code}).ok, "the second step is not locked"


def test_a_familiar_browser_can_still_reset_after_strangers_locked_the_portal(
    adele: User, clock: FrozenClock
) -> None:
    policy = get_policy()
    policy.registration_required = False
    policy.sspr_methods_required = 1
    policy.save()
    add_questions(adele)
    owner = Client()
    owner.post("/signin/", {"username": adele.username, "password": DEFAULT_PASSWORD})
    owner.post("/signout/")
    stranger = Client()
    start(stranger, adele.username)
    stranger.get("/reset/verify/security_questions/")
    wrong = {"answer_0": "guess", "answer_1": "x y z", "answer_2": "a b c"}
    for _ in range(5):
        stranger.post("/reset/verify/security_questions/", wrong)
    start(owner, adele.username)
    page = owner.get("/reset/verify/security_questions/")
    response = owner.post("/reset/verify/security_questions/", answers_for(page))
    assert response.status_code == 302, "the owner's browser has its own counter"


def test_guessing_email_codes_locks_too(adele: User) -> None:
    add_email(adele)
    client = Client()
    start(client, adele.username)
    client.post("/reset/verify/email/", {"contact": HOME_EMAIL})
    client.get("/reset/verify/email/")
    right = last_code_in_mail()
    for i in range(5):
        wrong = f"{(int(right) + 1 + i) % 1_000_000:06d}"
        response = client.post("/reset/verify/email/", {"code": wrong})
    assert response.status_code == 429
    assert client.post("/reset/verify/email/", {"code": right}).status_code == 429


@override_settings(TWOFOLD_SMS_GATEWAY="devphone")
def test_starting_many_resets_for_one_name_is_limited(adele: User) -> None:
    statuses = [start(Client(), adele.username).status_code for _ in range(11)]
    assert statuses[:10] == [302] * 10 and statuses[10] == 429


def test_disabled_methods_are_not_offered(adele: User) -> None:
    from twofold.policy.models import MethodPolicy

    MethodPolicy.objects.create(method_key="security_questions", enabled=False)
    client = Client()
    start(client, adele.username)
    assert "security_questions" not in client.get("/reset/verify/").content.decode()
    assert client.get("/reset/verify/security_questions/").status_code == 404
    assert client.get("/reset/verify/carrier-pigeon/").status_code == 404
