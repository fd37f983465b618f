from __future__ import annotations

import pytest
from django.test import Client

from tests.conftest import FrozenClock, sign_in
from tests.methods.soft_authenticator import SoftAuthenticator
from twofold.accounts.models import User
from twofold.audit.models import AuditEvent
from twofold.methods.base import VerificationFailed
from twofold.methods.flows import register_method, verify_method
from twofold.methods.models import RegisteredMethod
from twofold.methods.security_key.method import SecurityKeyMethod
from twofold.policy.models import MethodPolicy

pytestmark = pytest.mark.django_db
method = SecurityKeyMethod()


def register(user: User, key: SoftAuthenticator, name: str = "blue key") -> RegisteredMethod:
    pending = method.begin_registration(user)
    return register_method(
        user, method, pending, {"credential": key.create(pending["challenge"]), "name": name}
    )


def test_registered_key_is_found_by_its_credential_id(adele: User) -> None:
    key = SoftAuthenticator()
    registered = register(adele, key)
    assert registered.lookup_key and registered.is_default
    assert registered.data["aaguid"] == "a4e9fc6d-4cbe-4758-b8ba-37598bb5bbaa"
    assert RegisteredMethod.objects.get(lookup_key=registered.lookup_key) == registered


def test_the_same_key_cannot_be_registered_twice(adele: User) -> None:
    key = SoftAuthenticator()
    register(adele, key)
    with pytest.raises(VerificationFailed, match="already registered"):
        register(adele, key, "again")


@pytest.mark.parametrize(
    ("key", "message"),
    [
        (SoftAuthenticator(origin="https://evil.example"), "address doesn"),
        (SoftAuthenticator(rp_id="evil.example"), "address doesn"),
    ],
)
def test_wrong_origin_or_relying_party_is_refused(
    adele: User, key: SoftAuthenticator, message: str
) -> None:
    with pytest.raises(VerificationFailed, match=message):
        register(adele, key)
    assert not RegisteredMethod.objects.exists()


def test_policy_can_allow_only_some_key_models(adele: User) -> None:
    MethodPolicy.objects.create(
        method_key="security_key",
        options={"allowed_aaguids": ["00000000-0000-0000-0000-000000000001"]},
    )
    with pytest.raises(VerificationFailed, match="doesn't allow this model"):
        register(adele, SoftAuthenticator())


def test_assertion_for_another_challenge_or_replayed_is_refused(adele: User) -> None:
    key = SoftAuthenticator()
    registered = register(adele, key)
    state = {"challenge": "Y2hhbGxlbmdlLW9uZQ"}
    stale = key.assert_("b3RoZXItY2hhbGxlbmdl")
    assert not verify_method(registered, {"credential": stale}, state=state).ok
    good = key.assert_(state["challenge"])
    assert verify_method(registered, {"credential": good}, state=state).ok
    assert not verify_method(registered, {"credential": good}, state=state).ok, "replayed"
    assert not verify_method(registered, {"credential": key.assert_("eA")}, state={}).ok


def test_a_sign_count_going_back_is_flagged_as_a_possible_clone(adele: User) -> None:
    key = SoftAuthenticator()
    registered = register(adele, key)
    assert verify_method(
        registered, {"credential": key.assert_("Y2gx", count=10)}, state={"challenge": "Y2gx"}
    ).ok
    clone = verify_method(
        registered, {"credential": key.assert_("Y2gy", count=5)}, state={"challenge": "Y2gy"}
    )
    assert not clone.ok and "copy of itself" in clone.message
    assert AuditEvent.objects.filter(kind=AuditEvent.Kind.SECURITY_KEY_COUNTER_REGRESSED).exists()


@pytest.mark.parametrize("credential", ["", "not json", "{}", '{"id": 1}', "x" * 30_000])
def test_malformed_credentials_get_a_clear_answer(
    adele: User, add_authenticator, clock: FrozenClock, credential: str
) -> None:
    _, secret = add_authenticator(adele)
    client = Client()
    sign_in(client, adele, secret, clock.now().timestamp())
    client.get("/security-info/add/security_key/")
    response = client.post(
        "/security-info/add/security_key/", {"name": "key", "credential": credential}
    )
    assert response.status_code == 400
    assert not RegisteredMethod.objects.filter(kind="security_key").exists()


def test_a_forged_answer_with_a_low_count_raises_no_clone_alarm(adele: User) -> None:
    from tests.methods.soft_authenticator import corrupt_signature

    key = SoftAuthenticator()
    registered = register(adele, key)
    ok = key.assert_("Y2gx", count=10)
    assert verify_method(registered, {"credential": ok}, state={"challenge": "Y2gx"}).ok
    forged = corrupt_signature(key.assert_("Y2gy", count=1))
    assert not verify_method(registered, {"credential": forged}, state={"challenge": "Y2gy"}).ok
    assert not AuditEvent.objects.filter(
        kind=AuditEvent.Kind.SECURITY_KEY_COUNTER_REGRESSED
    ).exists()


def test_a_key_registered_to_someone_else_is_refused(make_user) -> None:
    key = SoftAuthenticator()
    register(make_user("adele@contoso.example"), key)
    with pytest.raises(VerificationFailed, match="already registered"):
        register(make_user("alex@contoso.example"), key)


def test_an_unreadable_answer_does_not_count_as_a_wrong_one(
    adele: User,
    add_authenticator,
    clock: FrozenClock,
) -> None:
    _, secret = add_authenticator(adele)
    client = Client()
    sign_in(client, adele, secret, clock.now().timestamp())
    for _ in range(6):
        client.post("/security-info/add/security_key/", {"name": "k", "credential": "{broken"})
    assert not AuditEvent.objects.filter(kind=AuditEvent.Kind.MFA_LOCKED).exists()
