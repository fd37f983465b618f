from __future__ import annotations

import pytest

from tests.conftest import DEFAULT_PASSWORD, FrozenClock
from twofold.accounts.models import SignInThrottle, User
from twofold.accounts.passwords_check import Outcome, verify_password

pytestmark = pytest.mark.django_db


def fail(name: str, times: int, prefix: str = "wrong") -> list[Outcome]:
    return [verify_password(name, f"{prefix}-{i}").outcome for i in range(times)]


def test_ten_wrong_passwords_lock_the_account_for_sixty_seconds(
    adele: User, clock: FrozenClock
) -> None:
    outcomes = fail(adele.username, 10)
    assert outcomes[:9] == [Outcome.INCORRECT] * 9
    assert outcomes[9] == Outcome.LOCKED
    locked = verify_password(adele.username, DEFAULT_PASSWORD)
    assert locked.outcome == Outcome.LOCKED, "the right password is refused while locked"
    assert locked.retry_after_seconds == 60
    clock.advance(61)
    assert verify_password(adele.username, DEFAULT_PASSWORD).outcome == Outcome.ACCEPTED


def test_each_new_lockout_lasts_twice_as_long(adele: User, clock: FrozenClock) -> None:
    durations = []
    for round_ in range(3):
        result = [verify_password(adele.username, f"r{round_}-{i}") for i in range(10)][-1]
        assert result.outcome == Outcome.LOCKED
        durations.append(result.retry_after_seconds)
        clock.advance(result.retry_after_seconds + 1)
    assert durations == [60, 120, 240]


def test_retyping_the_same_wrong_password_counts_once(adele: User, clock: FrozenClock) -> None:
    for _ in range(30):
        assert verify_password(adele.username, "old-password-1").outcome == Outcome.INCORRECT
    assert SignInThrottle.objects.get().failed_count == 1


def test_successful_sign_in_clears_the_failure_count(adele: User, clock: FrozenClock) -> None:
    fail(adele.username, 9)
    assert verify_password(adele.username, DEFAULT_PASSWORD).outcome == Outcome.ACCEPTED
    assert fail(adele.username, 9) == [Outcome.INCORRECT] * 9


def test_unknown_names_lock_exactly_like_real_ones(adele: User, clock: FrozenClock) -> None:
    real = [verify_password(adele.username, f"x{i}") for i in range(11)]
    ghost = [verify_password("nobody@contoso.example", f"x{i}") for i in range(11)]
    assert [r.outcome for r in real] == [g.outcome for g in ghost]
    assert [r.retry_after_seconds for r in real] == [g.retry_after_seconds for g in ghost]


def test_lockout_ignores_case_of_the_name(adele: User, clock: FrozenClock) -> None:
    fail("ADELE@Contoso.Example", 10)
    assert verify_password(adele.username, DEFAULT_PASSWORD).outcome == Outcome.LOCKED


def test_lockout_history_is_forgotten_after_a_quiet_day(adele: User, clock: FrozenClock) -> None:
    fail(adele.username, 10)
    clock.advance(24 * 3600 + 120)
    fail(adele.username, 9, prefix="later")
    result = verify_password(adele.username, "later-final")
    assert result.outcome == Outcome.LOCKED
    assert result.retry_after_seconds == 60


def test_disabled_account_with_right_password_is_refused(adele: User) -> None:
    adele.is_active = False
    adele.save()
    assert verify_password(adele.username, DEFAULT_PASSWORD).outcome == Outcome.DISABLED
    assert verify_password(adele.username, "wrong").outcome == Outcome.INCORRECT


def test_sixteen_concurrent_wrong_passwords_get_ten_checks(transactional_db: None) -> None:
    import threading

    from django.db import connection

    from twofold.accounts.services import NewUser, create_user

    user = create_user(NewUser(principal_name="adele@contoso.example", password="Right-pass-42"))
    checks: list[int] = []
    original = User.check_password

    def counted_check(self: User, raw: str) -> bool:
        checks.append(1)
        return original(self, raw)

    barrier = threading.Barrier(16)
    outcomes: list[Outcome] = []

    def guess(number: int) -> None:
        try:
            barrier.wait()
            outcomes.append(verify_password(user.username, f"guess-{number}").outcome)
        finally:
            connection.close()

    User.check_password = counted_check  # type: ignore[method-assign]
    try:
        threads = [threading.Thread(target=guess, args=(n,)) for n in range(16)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        User.check_password = original  # type: ignore[method-assign]
    assert len(outcomes) == 16
    assert len(checks) == 10, "the threshold bounds guesses even when they arrive together"
    assert outcomes.count(Outcome.INCORRECT) == 9
    assert outcomes.count(Outcome.LOCKED) == 7
    assert verify_password(user.username, "Right-pass-42").outcome == Outcome.LOCKED


def test_the_same_wrong_code_counts_every_time(
    adele: User, add_authenticator, clock: FrozenClock
) -> None:
    from tests.conftest import totp_code
    from twofold.methods.flows import verify_method

    registered, secret = add_authenticator(adele)
    # A code that becomes valid ten minutes from now, sent every 30 seconds until after then.
    future = totp_code(secret, clock.now().timestamp() + 600)
    results = []
    for _ in range(24):
        results.append(verify_method(registered, {"code": future}))
        clock.advance(30)
    assert "Too many wrong codes" in results[4].message, "the fifth send of one code locks"
    assert not any(r.ok for r in results), "locked each time the code comes round"
