from __future__ import annotations

import pytest
from django.contrib.auth.models import Group

from tests.api.conftest import ApiClient
from twofold.policy.models import MethodPolicy

pytestmark = pytest.mark.django_db


def test_methods_policy_shows_state_and_groups(reader: ApiClient) -> None:
    MethodPolicy.objects.create(method_key="email", enabled=False)
    staff = Group.objects.create(name="staff")
    keys = MethodPolicy.objects.create(method_key="security_key")
    keys.groups.add(staff)
    response = reader.get("/api/v1/policies/authenticationMethodsPolicy")
    assert response.status_code == 200
    by_id = {c["id"]: c for c in response.json()["authenticationMethodConfigurations"]}
    assert by_id["email"]["state"] == "disabled"
    assert by_id["security_key"]["state"] == "enabled"
    assert by_id["security_key"]["includeTargets"] == [{"targetType": "group", "id": str(staff.pk)}]
    assert by_id["phone_text"]["includeTargets"] == [{"targetType": "group", "id": "all_users"}]


def test_methods_policy_needs_a_token() -> None:
    assert ApiClient(None).get("/api/v1/policies/authenticationMethodsPolicy").status_code == 401
