"""The portal's rules: reset off closes it, a new password must be new, look-alikes write alike."""

from __future__ import annotations

import pytest
from django.test import Client, RequestFactory

from tests.conftest import DEFAULT_PASSWORD, FrozenClock
from tests.sspr.helpers import HOME_EMAIL, add_email, add_questions, last_code_in_mail, start
from tests.sspr.test_reset_portal import reset_with_email_and_questions
from twofold.accounts.models import User
from twofold.audit.models import AuditEvent
from twofold.policy.services import get_policy
from twofold.sspr import services

pytestmark = pytest.mark.django_db


def turn_reset_off() -> None:
    policy = get_policy()
    policy.sspr_enabled = False
    policy.save()


def test_reset_turned_off_closes_the_portal_with_a_clear_page(adele: User) -> None:
    add_email(adele)
    client = Client()
    start(client, adele.username)
    turn_reset_off()
    for url in ["/reset/", "/reset/verify/", "/reset/verify/email/"]:
        page = client.get(url)
        assert page.status_code == 403, url
        assert "isn't available" in page.content.decode()
        assert "administrator or help desk" in page.content.decode()
    assert client.post("/reset/", {"username": adele.username}).status_code == 403


def test_reset_turned_off_midway_refuses_the_new_password(adele: User, clock: FrozenClock) -> None:
    add_email(adele)
    add_questions(adele)
    client = Client()
    password_url = reset_with_email_and_questions(client, adele)
    turn_reset_off()
    response = client.post(
        password_url, {"new_password1": "a-new-long-one-9", "new_password2": "a-new-long-one-9"}
    )
    assert response.status_code == 403
    adele.refresh_from_db()
    assert adele.check_password(DEFAULT_PASSWORD), "the password is unchanged"
    request = RequestFactory().post("/")
    request.session = {}  # type: ignore[assignment]
    with pytest.raises(services.ResetClosed):
        services.complete_reset(request, adele, "a-new-long-one-9")


def test_a_new_password_equal_to_the_current_one_is_refused(
    adele: User, clock: FrozenClock
) -> None:
    add_email(adele)
    add_questions(adele)
    client = Client()
    password_url = reset_with_email_and_questions(client, adele)
    same = {"new_password1": DEFAULT_PASSWORD, "new_password2": DEFAULT_PASSWORD}
    response = client.post(password_url, same)
    assert response.status_code == 400
    assert "can&#x27;t be the same as your current password" in response.content.decode()
    assert not AuditEvent.objects.filter(kind=AuditEvent.Kind.PASSWORD_RESET).exists()


@pytest.mark.parametrize("method", ["email", "security_questions"])
def test_a_made_up_challenge_writes_what_a_real_one_does(make_user, method: str) -> None:
    real = make_user("adele@contoso.example")
    add_email(real)
    add_questions(real)
    written = []
    for name in ["adele@contoso.example", "nobody@contoso.example"]:
        client = Client()
        start(client, name)
        before = set(AuditEvent.objects.values_list("pk", flat=True))
        if method == "email":
            client.post("/reset/verify/email/", {"contact": HOME_EMAIL})
            client.get("/reset/verify/email/")
            wrong = f"{(int(last_code_in_mail()) + 1) % 1_000_000:06d}"
            response = client.post("/reset/verify/email/", {"code": wrong})
        else:
            client.get("/reset/verify/security_questions/")
            wrong = {"answer_0": "a", "answer_1": "b", "answer_2": "c"}
            response = client.post("/reset/verify/security_questions/", wrong)
        events = AuditEvent.objects.exclude(pk__in=before).order_by("pk")
        written.append(
            (
                response.status_code,
                [
                    (event.kind, event.principal_name.replace(name, "NAME"), sorted(event.details))
                    for event in events
                ],
            )
        )
    assert written[0] == written[1]
    assert written[0][1][-1][0] == AuditEvent.Kind.MFA_FAILED
