from __future__ import annotations

from django.test import RequestFactory

from twofold.core.redirects import safe_next


def test_a_same_site_path_is_followed() -> None:
    assert safe_next(RequestFactory().get("/", {"next": "/security-info/"})) == "/security-info/"


def test_another_site_is_not_followed() -> None:
    request = RequestFactory().post("/", {"next": "https://evil.example/"})
    assert safe_next(request) == "/"
    assert safe_next(request, default="") == ""
    assert safe_next(RequestFactory().get("/", {"next": "//evil.example/"}), default="/x") == "/x"
