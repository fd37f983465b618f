"""The Recent activity page: the person's own sign-ins and changes, readable, nothing secret."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.test import Client

from tests.conftest import DEFAULT_PASSWORD, FrozenClock
from tests.sspr.helpers import add_email
from twofold.accounts.models import User
from twofold.activity.services import PAGE_SIZE, SHOWN_KINDS
from twofold.audit.models import AuditEvent
from twofold.audit.services import record_event
from twofold.methods.models import RegisteredMethod

pytestmark = pytest.mark.django_db

Kind = AuditEvent.Kind


def _entry_ids(content: bytes) -> list[int]:
    return [int(found) for found in re.findall(rb'<tr id="entry-(\d+)"', content)]


def test_home_links_to_recent_activity(client: Client) -> None:
    assert b'href="/account/activity/"' in client.get("/").content


def test_the_sign_in_is_listed_with_browser_system_address_and_method(
    client: Client, adele: User
) -> None:
    page = client.get("/account/activity/")
    assert page.status_code == 200
    signin = AuditEvent.objects.get(user=adele, kind=Kind.SIGNIN_SUCCEEDED)
    row = page.content.decode().split(f'id="entry-{signin.pk}"')[1].split("</tr>")[0]
    assert "Sign-in" in row and "Succeeded" in row
    assert "Firefox" in row and "Windows" in row
    assert "127.0.0.1" in row
    assert "Password, Authenticator app" in row
    assert "Twofold" in row
    assert "UTC" in row  # the time says its time zone
    assert "This wasn&#x27;t me" in row or "This wasn't me" in row


def test_signed_out_visitors_are_sent_to_sign_in() -> None:
    response = Client().get("/account/activity/")
    assert response.status_code == 302 and response["Location"].startswith("/signin/")


def test_only_the_users_own_entries_are_listed(client: Client, adele: User, make_user) -> None:
    alex = make_user("alex@contoso.example", display_name="Alex Wilber")
    theirs = record_event(Kind.SIGNIN_FAILED, user=alex)
    nobodys = record_event(Kind.SIGNIN_FAILED, principal_name=adele.username)
    ids = _entry_ids(client.get("/account/activity/").content)
    assert ids, "Adele's own entries are there"
    assert theirs.pk not in ids and nobodys.pk not in ids
    assert set(ids) <= set(AuditEvent.objects.filter(user=adele).values_list("pk", flat=True))


def test_entries_older_than_30_days_are_left_out(
    client: Client, adele: User, clock: FrozenClock
) -> None:
    old = record_event(Kind.PASSWORD_CHANGED, user=adele)
    recent = record_event(Kind.PASSWORD_RESET, user=adele)
    now = clock.now()
    AuditEvent.objects.filter(pk=old.pk).update(occurred_at=now - dt.timedelta(days=31))
    AuditEvent.objects.filter(pk=recent.pk).update(occurred_at=now - dt.timedelta(days=29))
    ids = _entry_ids(client.get("/account/activity/").content)
    assert recent.pk in ids and old.pk not in ids


def test_newest_first_and_paged(client: Client, adele: User) -> None:
    for _ in range(PAGE_SIZE + 5):
        record_event(Kind.SIGNIN_FAILED, user=adele)
    total = AuditEvent.objects.filter(user=adele, kind__in=SHOWN_KINDS).count()
    first = client.get("/account/activity/")
    first_ids = _entry_ids(first.content)
    assert len(first_ids) == PAGE_SIZE
    newest = list(AuditEvent.objects.filter(pk__in=first_ids).order_by("-occurred_at", "-id"))
    assert first_ids == [event.pk for event in newest]
    assert b'href="?page=2"' in first.content and b"Page 1 of 2" in first.content
    second = client.get("/account/activity/?page=2")
    second_ids = _entry_ids(second.content)
    assert len(first_ids) + len(second_ids) == total
    assert not set(first_ids) & set(second_ids)
    assert max(second_ids) < min(first_ids)


@pytest.mark.parametrize("page", ["0", "99", "abc", "1.5", "-1", "9" * 30])
def test_a_bad_page_number_is_a_clear_404(client: Client, page: str) -> None:
    response = client.get(f"/account/activity/?page={page}")
    assert response.status_code == 404
    assert b"There is no page" in response.content
    assert b'href="/account/activity/"' in response.content


def test_failures_say_why_in_words(client: Client, adele: User) -> None:
    record_event(Kind.SIGNIN_FAILED, user=adele)
    record_event(Kind.SIGNIN_REFUSED_LOCKED, user=adele)
    record_event(Kind.MFA_FAILED, user=adele, method="authenticator_code", purpose="sign-in")
    content = client.get("/account/activity/").content.decode()
    assert "Wrong password" in content
    assert "Locked out after too many wrong passwords" in content
    assert "Verification failed" in content
    assert "signin_failed" not in content and "mfa_failed" not in content


def test_app_sign_ins_name_the_app(client: Client, adele: User) -> None:
    record_event(Kind.OIDC_APP_SIGNIN, user=adele, client_id="abc", app="Wiki", amr=["pwd", "otp"])
    content = client.get("/account/activity/").content.decode()
    assert "Sign-in to an app" in content and '<td data-label="App">Wiki</td>' in content


def test_contacts_are_masked_and_no_secret_is_shown(
    client: Client, adele: User, phone, clock: FrozenClock
) -> None:
    _registered, secret = phone
    add_email(adele, "adele.private@example.com")
    email = RegisteredMethod.objects.get(user=adele, kind="email")
    record_event(Kind.METHOD_REGISTERED, user=adele, method=email.kind, method_id=email.pk)
    # A row with facts that must never reach the page.
    record_event(Kind.GATEWAY_FAILED, user=adele, reason="+31612345678 rejected", channel="sms")
    record_event(Kind.APP_PASSWORD_CREATED, user=adele, name="mail client")
    content = client.get("/account/activity/").content.decode()
    assert "Email: ad\u2022\u2022\u2022@example.com" in content
    assert "adele.private@example.com" not in content
    assert "+31612345678" not in content and "12345678" not in content
    assert secret not in content
    assert DEFAULT_PASSWORD not in content
    assert "App password" in content


def test_location_from_the_proxy_is_shown(client: Client, adele: User) -> None:
    record_event(Kind.SIGNIN_SUCCEEDED, user=adele, amr=["pwd"], location="NL")
    assert '<td data-label="Location">NL</td>' in client.get("/account/activity/").content.decode()


def test_times_are_written_in_the_persons_language(client: Client, adele: User) -> None:
    event = record_event(Kind.PASSWORD_CHANGED, user=adele)
    at = dt.datetime(2026, 10, 15, 14, 5, tzinfo=dt.UTC)
    AuditEvent.objects.filter(pk=event.pk).update(occurred_at=at)
    english = client.get("/account/activity/").content.decode()
    dutch = client.get("/account/activity/", HTTP_ACCEPT_LANGUAGE="nl").content.decode()
    assert 'datetime="2026-10-15T14:05:00+00:00"' in english
    assert "Oct. 15, 2026, 2:05 p.m. UTC" in english
    assert "15 oktober 2026 14:05 UTC" in dutch
