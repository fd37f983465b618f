"""The REST API's docs page renders under the strict CSP, from Twofold's own files."""

from __future__ import annotations

from urllib.parse import urlparse

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import RunningServer

pytestmark = pytest.mark.browser


def test_api_docs_render_with_no_csp_violation_and_no_other_host(
    page: Page, twofold_server: RunningServer
) -> None:
    violations: list[str] = []
    page.on(
        "console",
        lambda message: (
            violations.append(message.text) if "Content Security Policy" in message.text else None
        ),
    )
    hosts: set[str] = set()
    page.on("request", lambda request: hosts.add(urlparse(request.url).netloc))

    page.goto("/api/v1/docs")
    expect(page.locator(".opblock").first).to_be_visible()
    expect(
        page.get_by_text("/api/v1/users/{user_id}/authentication/phoneMethods").first
    ).to_be_visible()
    assert violations == []
    assert hosts == {urlparse(twofold_server.base_url).netloc}
