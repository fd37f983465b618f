"""Lockout must not be a weapon: strangers' failures never lock the owner's familiar browser."""

from __future__ import annotations

import pytest
from django.test import Client, override_settings

from tests.conftest import DEFAULT_PASSWORD, FrozenClock
from twofold.accounts.models import User
from twofold.audit.models import AuditEvent
from twofold.signin.familiar import cookie_name

pytestmark = pytest.mark.django_db


def sign_in(client: Client, user: User, password: str = DEFAULT_PASSWORD, **extra: str):
    return client.post("/signin/", {"username": user.username, "password": password}, **extra)


def familiar_browser(user: User) -> Client:
    owner = Client()
    assert sign_in(owner, user).status_code == 302
    assert cookie_name() in owner.cookies, "a completed sign-in makes the browser familiar"
    owner.post("/signout/")
    return owner


def test_strangers_lock_the_account_but_not_the_owners_browser(
    adele: User, registration_not_required: None, clock: FrozenClock
) -> None:
    owner = familiar_browser(adele)
    attacker = Client()
    statuses = [sign_in(attacker, adele, f"guess-{i}").status_code for i in range(12)]
    assert statuses[-1] == 429, "the stranger is locked out"
    assert sign_in(Client(), adele).status_code == 429, "so is any other unfamiliar browser"
    response = sign_in(owner, adele)
    assert response.status_code == 302, "the owner's familiar browser still signs in"


def test_a_familiar_browser_has_its_own_counter(
    adele: User, registration_not_required: None, clock: FrozenClock
) -> None:
    owner = familiar_browser(adele)
    statuses = [sign_in(owner, adele, f"typo-{i}").status_code for i in range(10)]
    assert statuses[-1] == 429, "wrong passwords from a familiar browser lock it too"
    assert sign_in(Client(), adele).status_code == 302, "...and only it"


def test_a_forged_familiar_cookie_counts_as_unfamiliar(
    adele: User, registration_not_required: None, clock: FrozenClock
) -> None:
    attacker = Client()
    for i in range(10):
        sign_in(attacker, adele, f"guess-{i}")
    forged = Client()
    forged.cookies[cookie_name()] = "eyJkIjoieCIsIm4iOltdfQ:forged:signature"
    assert sign_in(forged, adele).status_code == 429


def test_a_familiar_cookie_of_another_account_does_not_help(
    make_user, registration_not_required: None, clock: FrozenClock
) -> None:
    adele = make_user("adele@contoso.example")
    alex = make_user("alex@contoso.example")
    alex_browser = familiar_browser(alex)
    for i in range(10):
        sign_in(Client(), adele, f"guess-{i}")
    assert sign_in(alex_browser, adele).status_code == 429


@override_settings(TWOFOLD_LOCKOUT={"threshold": 10, "seconds": 60, "ip_failure_limit": 5})
def test_one_address_trying_many_names_is_held_back(
    make_user, registration_not_required: None, clock: FrozenClock
) -> None:
    users = [make_user(f"user{n}@contoso.example") for n in range(6)]
    sprayer = Client(REMOTE_ADDR="203.0.113.9")
    statuses = [sign_in(sprayer, user, "Spring2026!").status_code for user in users]
    assert statuses == [401] * 5 + [429]
    assert AuditEvent.objects.filter(kind=AuditEvent.Kind.SIGNIN_THROTTLED).count() == 1
    assert sign_in(Client(REMOTE_ADDR="198.51.100.7"), users[0]).status_code == 302
    # The owner's familiar browser behind the same address is not held back.
    clock.advance(16 * 60)
    owner = familiar_browser(users[1])
    for user in users[2:]:
        sign_in(sprayer, user, "Summer2026!")
    owner.defaults["REMOTE_ADDR"] = "203.0.113.9"
    assert sign_in(owner, users[1]).status_code == 302


@override_settings(TWOFOLD_LOCKOUT={"threshold": 10, "seconds": 60, "ip_failure_limit": 5})
def test_addresses_of_one_ipv6_network_count_together(
    make_user, registration_not_required: None, clock: FrozenClock
) -> None:
    users = [make_user(f"user{n}@contoso.example") for n in range(6)]
    statuses = [
        sign_in(Client(REMOTE_ADDR=f"2001:db8:1:2::{n + 1}"), user, "x").status_code
        for n, user in enumerate(users)
    ]
    assert statuses[-1] == 429


def test_an_unknown_name_locks_like_a_real_one_from_the_same_kind_of_browser(
    adele: User, registration_not_required: None, clock: FrozenClock
) -> None:
    real = [sign_in(Client(), adele, f"x{i}").status_code for i in range(11)]
    ghost_user = User(username="nobody@contoso.example")
    ghost = [sign_in(Client(), ghost_user, f"x{i}").status_code for i in range(11)]
    assert real == ghost


def test_a_remembered_browser_is_familiar_even_without_the_device_cookie(
    adele: User, add_authenticator, clock: FrozenClock
) -> None:
    from tests.conftest import sign_in as sign_in_with_code
    from twofold.policy.services import get_policy
    from twofold.signin.trusted import cookie_name as remembered_cookie_name

    policy = get_policy()
    policy.remember_browser_days = 14
    policy.save()
    _registered, secret = add_authenticator(adele)
    owner = Client()
    response = sign_in_with_code(
        owner, adele, secret, clock.now().timestamp(), remember_browser="on"
    )
    assert response.status_code == 302
    assert remembered_cookie_name() in owner.cookies
    del owner.cookies[cookie_name()]
    owner.post("/signout/")
    for i in range(12):
        sign_in(Client(), adele, f"guess-{i}")
    assert sign_in(Client(), adele).status_code == 429
    assert sign_in(owner, adele).status_code == 302, "remembered, so not locked out"


@override_settings(TWOFOLD_LOCKOUT={"threshold": 10, "seconds": 60, "ip_failure_limit": 3})
def test_an_attempt_refused_for_its_address_counts_nothing_against_the_name(
    make_user, registration_not_required: None, clock: FrozenClock
) -> None:
    from twofold.accounts.lockout import name_digest
    from twofold.accounts.models import SignInThrottle

    sprayer = Client(REMOTE_ADDR="203.0.113.9")
    for n in range(3):
        sign_in(sprayer, make_user(f"user{n}@contoso.example"), "Spring2026!")
    fresh = make_user("fresh@contoso.example")
    assert sign_in(sprayer, fresh, "Spring2026!").status_code == 429
    rows = SignInThrottle.objects.filter(name_digest=name_digest(fresh.username))
    assert [row.failed_count for row in rows] in ([], [0]), "no failure counted for the name"
