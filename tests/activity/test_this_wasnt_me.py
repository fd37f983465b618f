"""\"This wasn't me\": the alert, signing out everywhere, the audit row and the next step."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core import mail
from django.test import Client
from oauth2_provider.models import (
    get_access_token_model,
    get_application_model,
    get_grant_model,
    get_refresh_token_model,
)

from tests.activity.conftest import FIREFOX_ON_WINDOWS
from tests.conftest import DEFAULT_PASSWORD, FrozenClock, sign_in, totp_code
from twofold.accounts.models import User, UserSession
from twofold.activity.services import FRAUD_SOURCE
from twofold.audit.models import AuditEvent
from twofold.audit.services import record_event
from twofold.fraud.models import FraudAlert
from twofold.signin.models import TrustedBrowser

pytestmark = pytest.mark.django_db

Kind = AuditEvent.Kind
NEW_PASSWORD = "a-brand-new-Passphrase-7"


def _signin_event(user: User) -> AuditEvent:
    return AuditEvent.objects.filter(user=user, kind=Kind.SIGNIN_SUCCEEDED).latest("id")


def _report(client: Client, event: AuditEvent):
    return client.post(f"/account/activity/{event.pk}/not-me/")


@pytest.fixture
def admin(make_user) -> User:
    return make_user("admin@contoso.example", display_name="Admin", is_admin=True)


@pytest.fixture
def elsewhere(adele: User, phone, clock: FrozenClock, client: Client) -> Client:
    """A second browser signed in as Adele: the one she says wasn't her."""
    _registered, secret = phone
    other = Client(HTTP_USER_AGENT="Mozilla/5.0 (X11; Linux x86_64) Chrome/131.0 Safari/537.36")
    assert sign_in(other, adele, secret, clock.now().timestamp()).status_code == 302
    clock.advance(30)
    assert other.get("/").status_code == 200
    return other


def _app_tokens(user: User) -> None:
    application = get_application_model().objects.create(
        name="Wiki",
        client_type="confidential",
        authorization_grant_type="authorization-code",
        redirect_uris="https://wiki.contoso.example/cb",
    )
    now = dt.datetime.now(dt.UTC)
    access = get_access_token_model().objects.create(
        user=user, application=application, token="access-1", expires=now + dt.timedelta(hours=1)
    )
    get_refresh_token_model().objects.create(
        user=user, application=application, token="refresh-1", access_token=access
    )
    get_grant_model().objects.create(
        user=user,
        application=application,
        code="code-1",
        expires=now + dt.timedelta(minutes=1),
        redirect_uri="https://wiki.contoso.example/cb",
    )


def test_reporting_raises_a_fraud_alert_and_tells_the_administrators(
    client: Client, adele: User, admin: User
) -> None:
    mail.outbox.clear()
    response = _report(client, _signin_event(adele))
    assert response.status_code == 302
    assert response["Location"] == "/account/activity/secure/"
    alert = FraudAlert.objects.get(user=adele)
    assert alert.source == FRAUD_SOURCE and alert.resolved_at is None
    assert [message.to for message in mail.outbox] == [["admin@contoso.example"]]
    assert FRAUD_SOURCE in mail.outbox[0].body


def test_reporting_is_audited_with_the_entry(client: Client, adele: User) -> None:
    event = _signin_event(adele)
    _report(client, event)
    row = AuditEvent.objects.get(user=adele, kind=Kind.FRAUD_REPORTED)
    assert row.details["source"] == FRAUD_SOURCE
    assert row.details["reported_event"] == event.pk
    assert row.details["reported_kind"] == Kind.SIGNIN_SUCCEEDED
    assert row.ip_address == "127.0.0.1" and row.user_agent == FIREFOX_ON_WINDOWS


def test_reporting_signs_out_everywhere_else_and_keeps_this_browser(
    client: Client, elsewhere: Client, adele: User
) -> None:
    old_key = client.session.session_key
    TrustedBrowser.objects.create(
        user=adele,
        token_hash="0" * 64,
        expires_at=dt.datetime.now(dt.UTC) + dt.timedelta(days=10),
    )
    _app_tokens(adele)

    _report(client, _signin_event(adele))

    # The other browser is signed out...
    gone = elsewhere.get("/")
    assert gone.status_code == 302 and gone["Location"].startswith("/signin/")
    # ...no browser skips the second step any more, apps must sign in again...
    assert not TrustedBrowser.objects.filter(user=adele).exists()
    assert not get_access_token_model().objects.filter(user=adele).exists()
    assert not get_grant_model().objects.filter(user=adele).exists()
    assert not get_refresh_token_model().objects.filter(user=adele, revoked__isnull=True).exists()
    # ...and this browser goes on under a new session key, the only session left.
    assert client.get("/account/activity/secure/").status_code == 200
    assert client.session.session_key != old_key
    assert list(UserSession.objects.filter(user=adele).values_list("session_key", flat=True)) == [
        client.session.session_key
    ]
    assert AuditEvent.objects.filter(user=adele, kind=Kind.SESSIONS_REVOKED).exists()


def test_a_copy_of_the_old_session_cookie_is_dead(client: Client, adele: User) -> None:
    stolen = Client()
    stolen.cookies = client.cookies.__class__(client.cookies)
    assert stolen.get("/").status_code == 200
    _report(client, _signin_event(adele))
    assert stolen.get("/").status_code == 302
    assert client.get("/").status_code == 200


def test_the_landing_page_says_what_was_done_and_what_happens_next(
    client: Client, adele: User
) -> None:
    page = client.get(_report(client, _signin_event(adele))["Location"])
    content = page.content.decode()
    assert page.status_code == 200
    assert "Secure your account" in content
    assert "We signed you out everywhere else" in content
    assert "We alerted your administrators." in content
    # Adele has security info, which the alert now blocks: she is told how to get back in.
    assert "contact your administrator to get back in" in content
    assert 'name="old_password"' in content and 'name="new_password1"' in content


def test_the_new_password_is_set_on_the_landing_page(
    client: Client, adele: User, phone, clock: FrozenClock
) -> None:
    _report(client, _signin_event(adele))
    wrong = client.post(
        "/account/activity/secure/",
        {"old_password": "not-it", "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )
    assert wrong.status_code == 400
    done = client.post(
        "/account/activity/secure/",
        {
            "old_password": DEFAULT_PASSWORD,
            "new_password1": NEW_PASSWORD,
            "new_password2": NEW_PASSWORD,
        },
    )
    assert done.status_code == 302 and done["Location"] == "/account/activity/"
    adele.refresh_from_db()
    assert adele.check_password(NEW_PASSWORD)
    after = client.get("/account/activity/").content.decode()
    assert "Your password was changed." in after
    assert "You reported activity that wasn" in after  # the alert is still open
    # The landing page has done its job.
    assert client.get("/account/activity/secure/")["Location"] == "/account/activity/"


def test_after_the_report_the_second_step_waits_for_the_administrator(
    client: Client, adele: User, phone, clock: FrozenClock
) -> None:
    """What the fraud block means: the password alone no longer gets anyone in."""
    _registered, secret = phone
    _report(client, _signin_event(adele))
    thief = Client()
    refused = sign_in(thief, adele, secret, clock.now().timestamp())
    assert refused.status_code != 302
    assert b"blocked for this account after a fraud report" in refused.content
    assert thief.get("/")["Location"].startswith("/signin/")


def test_a_user_without_security_info_is_not_told_it_is_blocked(
    make_user, registration_not_required
) -> None:
    alex = make_user("alex@contoso.example", display_name="Alex Wilber")
    client = Client()
    assert sign_in(client, alex).status_code == 302
    page = client.get(_report(client, _signin_event(alex))["Location"])
    assert page.status_code == 200
    assert b"get back in" not in page.content


def test_the_landing_page_needs_a_report_first(client: Client) -> None:
    response = client.get("/account/activity/secure/")
    assert response.status_code == 302 and response["Location"] == "/account/activity/"
    post = client.post(
        "/account/activity/secure/",
        {
            "old_password": DEFAULT_PASSWORD,
            "new_password1": NEW_PASSWORD,
            "new_password2": NEW_PASSWORD,
        },
    )
    assert post["Location"] == "/account/activity/"


def test_reported_entries_say_so_instead_of_offering_the_button(
    client: Client, adele: User
) -> None:
    event = _signin_event(adele)
    _report(client, event)
    row = client.get("/account/activity/").content.decode().split(f'id="entry-{event.pk}"')[1]
    row = row.split("</tr>")[0]
    assert "Reported" in row and "not-me" not in row


# --- attacks -----------------------------------------------------------------------------------


def test_a_post_without_the_csrf_token_is_refused(adele: User, phone, clock) -> None:
    _registered, secret = phone
    client = Client(enforce_csrf_checks=True)
    token = client.get("/signin/").context["csrf_token"]
    client.post(
        "/signin/",
        {"username": adele.username, "password": DEFAULT_PASSWORD, "csrfmiddlewaretoken": token},
    )
    client.post(
        "/signin/verify/",
        {"code": totp_code(secret, clock.now().timestamp()), "csrfmiddlewaretoken": token},
    )
    assert client.get("/").status_code == 200, "signed in"
    response = _report(client, _signin_event(adele))
    assert response.status_code == 403
    assert b"form has expired" in response.content
    assert not FraudAlert.objects.exists()
    # The same press with the page's token goes through.
    page = client.get("/account/activity/")
    assert b"csrfmiddlewaretoken" in page.content
    with_token = client.post(
        f"/account/activity/{_signin_event(adele).pk}/not-me/",
        {"csrfmiddlewaretoken": page.context["csrf_token"]},
    )
    assert with_token.status_code == 302 and FraudAlert.objects.count() == 1


def test_another_users_entry_is_a_404(client: Client, adele: User, make_user) -> None:
    alex = make_user("alex@contoso.example", display_name="Alex Wilber")
    theirs = record_event(Kind.SIGNIN_SUCCEEDED, user=alex, amr=["pwd"])
    response = _report(client, theirs)
    assert response.status_code == 404
    assert b"isn&#x27;t in your recent activity" in response.content
    assert not FraudAlert.objects.exists()
    assert UserSession.objects.filter(user=adele).exists()


@pytest.mark.parametrize("event_id", [0, 999999])
def test_an_entry_that_does_not_exist_is_a_404(client: Client, event_id: int) -> None:
    assert client.post(f"/account/activity/{event_id}/not-me/").status_code == 404
    assert not FraudAlert.objects.exists()


def test_an_entry_older_than_30_days_is_a_404(
    client: Client, adele: User, clock: FrozenClock
) -> None:
    event = record_event(Kind.SIGNIN_FAILED, user=adele)
    AuditEvent.objects.filter(pk=event.pk).update(occurred_at=clock.now() - dt.timedelta(days=31))
    assert _report(client, event).status_code == 404
    assert not FraudAlert.objects.exists()


def test_a_report_itself_cannot_be_reported(client: Client, adele: User) -> None:
    _report(client, _signin_event(adele))
    report = AuditEvent.objects.get(user=adele, kind=Kind.FRAUD_REPORTED)
    assert _report(client, report).status_code == 404
    assert FraudAlert.objects.count() == 1


def test_a_signed_out_post_does_nothing(adele: User) -> None:
    event = record_event(Kind.SIGNIN_SUCCEEDED, user=adele, amr=["pwd"])
    response = Client().post(f"/account/activity/{event.pk}/not-me/")
    assert response.status_code == 302 and response["Location"].startswith("/signin/")
    assert not FraudAlert.objects.exists()


def test_a_get_does_nothing(client: Client, adele: User) -> None:
    response = client.get(f"/account/activity/{_signin_event(adele).pk}/not-me/")
    assert response.status_code == 302 and response["Location"] == "/account/activity/"
    assert not FraudAlert.objects.exists()


def test_pressing_twice_raises_one_alert(client: Client, adele: User, admin: User) -> None:
    event = _signin_event(adele)
    mail.outbox.clear()
    first = _report(client, event)
    second = _report(client, event)
    assert first["Location"] == second["Location"] == "/account/activity/secure/"
    assert FraudAlert.objects.filter(user=adele).count() == 1
    assert AuditEvent.objects.filter(user=adele, kind=Kind.FRAUD_REPORTED).count() == 1
    assert len(mail.outbox) == 1
    assert client.get("/account/activity/secure/").status_code == 200
