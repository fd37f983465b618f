from __future__ import annotations

import json

import pytest

from tests.api.conftest import ApiClient
from tests.conftest import FrozenClock
from twofold.accounts.models import User
from twofold.api.models import ApiToken
from twofold.audit.models import AuditEvent
from twofold.methods.flows import add_method_for_user
from twofold.methods.models import RegisteredMethod
from twofold.methods.registry import get_method

pytestmark = pytest.mark.django_db


def base(user: User) -> str:
    return f"/api/v1/users/{user.pk}/authentication"


def add(user: User, key: str, value: str) -> RegisteredMethod:
    method = get_method(key)
    assert method is not None
    return add_method_for_user(user, method, value)


@pytest.fixture
def equipped(adele: User, add_authenticator, clock: FrozenClock):
    """Adele with an authenticator app (the default), a phone and an email address."""
    app, secret = add_authenticator(adele)
    phone = add(adele, "phone_text", "+31612345678")
    email = add(adele, "email", "adele@home.example")
    return app, phone, email, secret


def test_methods_list_every_method_with_masked_details_and_no_secrets(
    reader: ApiClient, adele: User, equipped
) -> None:
    app, phone, email, secret = equipped
    response = reader.get(f"{base(adele)}/methods")
    assert response.status_code == 200
    value = response.json()["value"]
    assert [m["id"] for m in value] == [str(app.pk), str(phone.pk), str(email.pk)]
    by_type = {m["methodType"]: m for m in value}
    assert by_type["authenticator_code"]["@odata.type"] == (
        "#microsoft.graph.softwareOathAuthenticationMethod"
    )
    assert by_type["authenticator_code"]["isDefault"] is True
    assert by_type["phone_text"]["phoneType"] == "mobile"
    assert by_type["phone_text"]["phoneNumber"] == "+31 6\u2022\u2022\u2022\u2022\u2022\u202278"
    assert by_type["email"]["emailAddress"] == "ad\u2022\u2022\u2022@home.example"
    text = response.content.decode()
    # No secret, no full number or address, no stored data in any shape.
    for leaked in (secret, "+31612345678", "612345678", "adele@home.example", "encrypted"):
        assert leaked not in text
    for method in value:
        assert not {"secret", "data", "encryptedData", "counter", "lookupKey"} & set(method)


def test_per_kind_collections_hold_only_their_kind(
    reader: ApiClient, adele: User, equipped
) -> None:
    app, phone, email, _ = equipped
    listed = {
        collection: [m["id"] for m in reader.get(f"{base(adele)}/{collection}").json()["value"]]
        for collection in ("phoneMethods", "emailMethods", "softwareOathMethods", "fido2Methods")
    }
    assert listed == {
        "phoneMethods": [str(phone.pk)],
        "emailMethods": [str(email.pk)],
        "softwareOathMethods": [str(app.pk)],
        "fido2Methods": [],
    }
    assert reader.get(f"{base(adele)}/phoneMethods/{phone.pk}").json()["id"] == str(phone.pk)
    # A method is not found in another kind's collection.
    assert reader.get(f"{base(adele)}/emailMethods/{phone.pk}").status_code == 404


def test_another_users_method_is_not_found(
    reader: ApiClient, adele: User, make_user, equipped
) -> None:
    _, phone, _, _ = equipped
    megan = make_user("megan@contoso.example")
    response = reader.get(f"{base(megan)}/methods/{phone.pk}")
    assert response.status_code == 404
    assert response["Content-Type"] == "application/problem+json"


def test_deleting_the_default_moves_it_to_the_strongest_left_and_audits_the_token(
    writer: ApiClient, adele: User, equipped
) -> None:
    app, phone, _, _ = equipped
    response = writer.delete(f"{base(adele)}/methods/{app.pk}")
    assert response.status_code == 204
    assert not RegisteredMethod.objects.filter(pk=app.pk).exists()
    assert RegisteredMethod.objects.get(pk=phone.pk).is_default
    token = ApiToken.objects.get()
    deleted = AuditEvent.objects.get(kind=AuditEvent.Kind.METHOD_DELETED)
    assert deleted.user == adele and deleted.details["api_token"] == token.pk
    changed = AuditEvent.objects.get(kind=AuditEvent.Kind.DEFAULT_METHOD_CHANGED)
    assert changed.details["api_token"] == token.pk
    assert changed.details["method"] == "phone_text"
    call = AuditEvent.objects.get(kind=AuditEvent.Kind.API_CALL, details__method="DELETE")
    assert call.details["status"] == 204
    # Gone: a second delete finds nothing.
    assert writer.delete(f"{base(adele)}/methods/{app.pk}").status_code == 404


def test_delete_through_a_kind_collection(writer: ApiClient, adele: User, equipped) -> None:
    _, phone, email, _ = equipped
    assert writer.delete(f"{base(adele)}/emailMethods/{phone.pk}").status_code == 404
    assert writer.delete(f"{base(adele)}/emailMethods/{email.pk}").status_code == 204
    assert RegisteredMethod.objects.filter(pk=phone.pk).exists()


def test_read_token_cannot_delete(reader: ApiClient, adele: User, equipped) -> None:
    app, _, _, _ = equipped
    assert reader.delete(f"{base(adele)}/methods/{app.pk}").status_code == 403
    assert RegisteredMethod.objects.filter(pk=app.pk).exists()


def test_adding_a_mobile_phone_goes_through_the_number_checks(
    writer: ApiClient, adele: User
) -> None:
    url = f"{base(adele)}/phoneMethods"
    created = writer.post(url, {"phoneNumber": "+31 6 12345678", "phoneType": "mobile"})
    assert created.status_code == 201
    body = created.json()
    assert body["methodType"] == "phone_text" and body["phoneType"] == "mobile"
    stored = RegisteredMethod.objects.get(pk=int(body["id"]))
    assert stored.data == {"number": "+31612345678"}
    event = AuditEvent.objects.get(kind=AuditEvent.Kind.METHOD_REGISTERED)
    assert event.user == adele and event.details["api_token"] == ApiToken.objects.get().pk


@pytest.mark.parametrize(
    ("number", "message"),
    [
        ("+31 6 1234abcd", "letters aren't accepted"),
        ("+31 900 1234567", "premium-rate number"),
        ("+31 20 123 4567", "Texts go only to mobile phone numbers"),
        ("12345", "Enter the phone number with its country code"),
    ],
)
def test_refused_numbers_answer_the_pages_message_on_the_field(
    writer: ApiClient, adele: User, number: str, message: str
) -> None:
    response = writer.post(
        f"{base(adele)}/phoneMethods", {"phoneNumber": number, "phoneType": "mobile"}
    )
    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"
    body = response.json()
    assert body["errors"][0]["field"] == "body.phoneNumber"
    assert message in body["errors"][0]["detail"]
    assert not adele.security_methods.exists()


def test_the_same_number_twice_is_refused(writer: ApiClient, adele: User) -> None:
    body = {"phoneNumber": "+31612345678", "phoneType": "mobile"}
    assert writer.post(f"{base(adele)}/phoneMethods", body).status_code == 201
    again = writer.post(f"{base(adele)}/phoneMethods", body)
    assert again.status_code == 400
    assert "already in your security info" in again.json()["detail"]
    assert adele.security_methods.count() == 1


def test_an_alternate_mobile_is_its_own_kind_and_only_one_is_kept(
    writer: ApiClient, adele: User
) -> None:
    url = f"{base(adele)}/phoneMethods"
    created = writer.post(url, {"phoneNumber": "+31 6 87654321", "phoneType": "alternateMobile"})
    assert created.status_code == 201
    assert created.json()["methodType"] == "alternate_phone_call"
    assert created.json()["phoneType"] == "alternateMobile"
    second = writer.post(url, {"phoneNumber": "+31 6 11223344", "phoneType": "alternateMobile"})
    assert second.status_code == 400
    assert second["Content-Type"] == "application/problem+json"
    assert RegisteredMethod.objects.filter(user=adele, kind="alternate_phone_call").count() == 1


def test_only_phone_types_the_registry_has_are_accepted(writer: ApiClient, adele: User) -> None:
    response = writer.post(
        f"{base(adele)}/phoneMethods", {"phoneNumber": "+31612345678", "phoneType": "pager"}
    )
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "body.phoneType"
    assert "mobile" in response.json()["detail"]


def test_missing_body_field_names_the_field(writer: ApiClient, adele: User) -> None:
    response = writer.post(f"{base(adele)}/phoneMethods", {"phoneType": "mobile"})
    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["errors"][0]["field"] == "body.phoneNumber"


def test_broken_json_is_a_problem_not_a_crash(writer: ApiClient, adele: User) -> None:
    response = writer.client.post(
        f"{base(adele)}/phoneMethods",
        "{not json",
        content_type="application/json",
        headers=writer.headers,
    )
    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"


def test_adding_an_email_address(writer: ApiClient, adele: User) -> None:
    url = f"{base(adele)}/emailMethods"
    created = writer.post(url, {"emailAddress": "Adele@Home.example"})
    assert created.status_code == 201
    assert RegisteredMethod.objects.get(pk=int(created.json()["id"])).data == {
        "email": "adele@home.example"
    }
    # Reset only: never the default sign-in method.
    assert created.json()["isDefault"] is False
    again = writer.post(url, {"emailAddress": "adele@home.example"})
    assert again.status_code == 400
    work = writer.post(url, {"emailAddress": adele.username})
    assert work.status_code == 400
    assert "other than your work account" in work.json()["detail"]
    bad = writer.post(url, {"emailAddress": "not an address"})
    assert bad.status_code == 400
    assert bad.json()["errors"][0] == {
        "field": "body.emailAddress",
        "detail": "Enter an email address like name@example.org.",
    }


def test_policy_that_switches_a_method_off_refuses_adding_it(
    writer: ApiClient, adele: User
) -> None:
    from twofold.policy.models import MethodPolicy

    MethodPolicy.objects.update_or_create(method_key="email", defaults={"enabled": False})
    response = writer.post(f"{base(adele)}/emailMethods", {"emailAddress": "a@home.example"})
    assert response.status_code == 403
    assert not adele.security_methods.exists()


def test_sign_in_preferences_show_and_change_the_default(
    writer: ApiClient, adele: User, equipped
) -> None:
    app, phone, email, _ = equipped
    url = f"{base(adele)}/signInPreferences"
    assert writer.get(url).json() == {
        "userPreferredMethodForSecondaryAuthentication": "oath",
        "defaultMethodId": str(app.pk),
        "isSystemPreferredAuthenticationMethodEnabled": False,
    }
    changed = writer.patch(url, {"userPreferredMethodForSecondaryAuthentication": "sms"})
    assert changed.status_code == 200
    assert changed.json()["defaultMethodId"] == str(phone.pk)
    assert RegisteredMethod.objects.get(pk=phone.pk).is_default
    event = AuditEvent.objects.get(kind=AuditEvent.Kind.DEFAULT_METHOD_CHANGED)
    assert event.details["api_token"] == ApiToken.objects.get().pk

    by_id = writer.patch(url, {"defaultMethodId": str(app.pk)})
    assert by_id.json()["userPreferredMethodForSecondaryAuthentication"] == "oath"

    # Email is for password reset only: it can't be the default sign-in method.
    refused = writer.patch(url, {"defaultMethodId": str(email.pk)})
    assert refused.status_code == 400
    assert refused.json()["errors"][0]["field"] == "body.defaultMethodId"
    assert RegisteredMethod.objects.get(pk=app.pk).is_default
    assert writer.patch(url, {}).status_code == 400
    none_such = writer.patch(url, {"userPreferredMethodForSecondaryAuthentication": "fido2"})
    assert none_such.status_code == 400


def test_unknown_user_is_a_404_problem(reader: ApiClient) -> None:
    for path in ("methods", "phoneMethods", "signInPreferences"):
        response = reader.get(f"/api/v1/users/424242/authentication/{path}")
        assert response.status_code == 404
        assert json.loads(response.content)["status"] == 404


def test_every_operation_leaves_an_audit_row_naming_its_token(
    writer: ApiClient, adele: User, equipped
) -> None:
    email = equipped[2]
    schema = writer.client.get("/api/v1/openapi.json").json()
    bodies = {
        "post": {"phoneNumber": "+31612345679", "phoneType": "mobile"},
        "patch": {"userPreferredMethodForSecondaryAuthentication": "sms"},
    }
    called = []
    for template, operations in schema["paths"].items():
        for verb in operations:
            path = template.replace("{user_id}", str(adele.pk)).replace(
                "{method_id}", str(email.pk)
            )
            if template.endswith("emailMethods") and verb == "post":
                body: dict[str, str] = {"emailAddress": "other@home.example"}
            else:
                body = bodies.get(verb, {})
            response = (
                writer.get(path)
                if verb == "get"
                else writer.delete(path)
                if verb == "delete"
                else getattr(writer, verb)(path, body)
            )
            assert response.status_code < 500
            called.append((verb.upper(), path, response.status_code))
    token = ApiToken.objects.get()
    audited = [
        (e.details["method"], e.details["path"], e.details["status"])
        for e in AuditEvent.objects.filter(kind=AuditEvent.Kind.API_CALL).order_by("pk")
    ]
    assert audited == called
    assert all(
        e.details["api_token"] == token.pk
        for e in AuditEvent.objects.filter(kind=AuditEvent.Kind.API_CALL)
    )
    assert len(called) >= 20
