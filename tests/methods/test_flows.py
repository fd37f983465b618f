from __future__ import annotations

import threading

import pytest
from django.db import connection

from tests.conftest import FrozenClock, totp_code
from twofold.accounts.models import User
from twofold.audit.models import AuditEvent
from twofold.methods.flows import delete_method, set_default_method, verify_method
from twofold.methods.models import RegisteredMethod

pytestmark = pytest.mark.django_db


def test_first_two_step_method_becomes_the_default(adele: User, add_authenticator) -> None:
    first, _ = add_authenticator(adele, "phone")
    second, _ = add_authenticator(adele, "tablet")
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.is_default, second.is_default) == (True, False)


def test_deleting_default_method_picks_next_strongest(
    adele: User, add_authenticator, clock: FrozenClock
) -> None:
    phone, _ = add_authenticator(adele, "phone")
    tablet, tablet_secret = add_authenticator(adele, "tablet")
    _laptop, _ = add_authenticator(adele, "laptop")
    # Among methods of equal strength the one used most recently takes over.
    assert verify_method(tablet, {"code": totp_code(tablet_secret, clock.now().timestamp())}).ok
    assert delete_method(adele, phone.pk)
    defaults = list(RegisteredMethod.objects.filter(user=adele, is_default=True))
    assert [m.label for m in defaults] == ["tablet"]
    assert AuditEvent.objects.filter(kind=AuditEvent.Kind.DEFAULT_METHOD_CHANGED).exists()
    assert not RegisteredMethod.objects.filter(pk=phone.pk).exists()


def test_deleting_the_last_method_leaves_no_default(adele: User, add_authenticator) -> None:
    phone, _ = add_authenticator(adele)
    assert delete_method(adele, phone.pk)
    assert not RegisteredMethod.objects.filter(user=adele).exists()


def test_a_user_cannot_delete_or_default_someone_elses_method(make_user, add_authenticator) -> None:
    adele = make_user("adele@contoso.example")
    alex = make_user("alex@contoso.example")
    alex_phone, _ = add_authenticator(alex)
    add_authenticator(adele)
    assert delete_method(adele, alex_phone.pk) is False
    assert set_default_method(adele, alex_phone.pk) is False
    assert RegisteredMethod.objects.filter(pk=alex_phone.pk, is_default=True).exists()


def test_changing_the_default_moves_the_flag(adele: User, add_authenticator) -> None:
    _phone, _ = add_authenticator(adele, "phone")
    tablet, _ = add_authenticator(adele, "tablet")
    assert set_default_method(adele, tablet.pk)
    assert list(RegisteredMethod.objects.filter(user=adele, is_default=True)) == [tablet]


@pytest.mark.django_db(transaction=True)
def test_the_same_code_sent_twice_at_once_is_accepted_once(
    adele: User, add_authenticator, clock: FrozenClock
) -> None:
    registered, secret = add_authenticator(adele)
    code = totp_code(secret, clock.now().timestamp())
    barrier = threading.Barrier(4)
    outcomes: list[bool] = []

    def attempt() -> None:
        try:
            barrier.wait()
            outcomes.append(verify_method(registered, {"code": code}).ok)
        finally:
            connection.close()

    threads = [threading.Thread(target=attempt) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == [False, False, False, True]


@pytest.mark.django_db(transaction=True)
def test_wrong_codes_sent_together_get_no_more_checks_than_the_lockout_allows(
    adele: User, add_authenticator, clock: FrozenClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    from twofold.accounts.lockout import CODE_FAILURE_THRESHOLD
    from twofold.methods.registry import get_method

    registered, _secret = add_authenticator(adele)
    method_class = type(get_method(registered.kind))
    checks: list[int] = []
    original = method_class.verify

    def counted(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        checks.append(1)
        return original(self, *args, **kwargs)

    monkeypatch.setattr(method_class, "verify", counted)
    barrier = threading.Barrier(8)
    outcomes: list[bool] = []

    def attempt(number: int) -> None:
        try:
            barrier.wait()
            outcomes.append(verify_method(registered, {"code": f"{number:06d}"}).ok)
        finally:
            connection.close()

    threads = [threading.Thread(target=attempt, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert outcomes == [False] * 8
    assert len(checks) == CODE_FAILURE_THRESHOLD, "the lock holds against a burst too"
