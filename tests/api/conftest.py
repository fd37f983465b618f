from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from twofold.api.tokens import create_token


class ApiClient:
    """A test client that sends a bearer token and JSON."""

    def __init__(self, token: str | None) -> None:
        self.client = Client()
        self.headers = {"Authorization": f"Bearer {token}"} if token else {}

    def get(self, path: str, **params: Any) -> Any:
        return self.client.get(path, params, headers=self.headers)

    def delete(self, path: str) -> Any:
        return self.client.delete(path, headers=self.headers)

    def post(self, path: str, body: Any) -> Any:
        return self.client.post(
            path, json.dumps(body), content_type="application/json", headers=self.headers
        )

    def patch(self, path: str, body: Any) -> Any:
        return self.client.patch(
            path, json.dumps(body), content_type="application/json", headers=self.headers
        )


@pytest.fixture
def make_api(db: None) -> Callable[..., ApiClient]:
    def make(*scopes: str) -> ApiClient:
        _, raw = create_token("tests", list(scopes) or ["read"])
        return ApiClient(raw)

    return make


@pytest.fixture
def reader(make_api: Callable[..., ApiClient]) -> ApiClient:
    return make_api("read")


@pytest.fixture
def writer(make_api: Callable[..., ApiClient]) -> ApiClient:
    return make_api("read", "write")
