import pytest

pytestmark = pytest.mark.django_db


def test_smoke(writer, adele):
    for p in [
        "/api/v1/users",
        f"/api/v1/users/{adele.pk}",
        f"/api/v1/users/{adele.pk}/authentication/methods",
        f"/api/v1/users/{adele.pk}/authentication/signInPreferences",
        "/api/v1/auditEvents",
        "/api/v1/nope",
        "/api/v1/openapi.json",
        "/api/v1/users/abc",
        "/api/v1/users?limit=0",
    ]:
        r = writer.get(p)
        print(p, r.status_code, r["Content-Type"], r.content[:300])
    r = writer.post(
        f"/api/v1/users/{adele.pk}/authentication/phoneMethods",
        {"phoneNumber": "+31612345678", "phoneType": "mobile"},
    )
    print(r.status_code, r.content)
    r = writer.post(
        f"/api/v1/users/{adele.pk}/authentication/phoneMethods",
        {"phoneNumber": "+31612345678", "phoneType": "mobile"},
    )
    print(r.status_code, r.content)
    r = writer.client.put("/api/v1/users", headers=writer.headers)
    print(r.status_code, r.content, r.get("Allow"))
    r = writer.get("/api/v1/docs")
    print(r.status_code, r.content[:800])
