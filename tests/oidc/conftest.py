"""An app registered with `twofold oidcclient`, and the steps of its code flow."""

from __future__ import annotations

import base64
import hashlib
import io
import json
import re
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
from django.core.management import call_command
from django.test import Client

CALLBACK = "https://wiki.contoso.example/callback"


def register(name: str, *options: str) -> dict[str, str]:
    """Register an app with `twofold oidcclient add`; a public one has no secret ("")."""
    out = io.StringIO()
    call_command("oidcclient", "add", name, "--redirect-uri", CALLBACK, *options, stdout=out)
    text = out.getvalue()
    secret = re.search(r"shown once\): (\S+)", text)
    return {
        "client_id": re.search(r"client_id: (\S+)", text).group(1),  # type: ignore[union-attr]
        "client_secret": secret.group(1) if secret else "",
    }


@pytest.fixture
def app() -> dict[str, str]:
    return register("Wiki")


def authorize_url(app: dict[str, str], verifier: str, **extra: str) -> str:
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=")
    query = {
        "response_type": "code",
        "client_id": app["client_id"],
        "redirect_uri": CALLBACK,
        "scope": "openid profile email",
        "state": "s1",
        "nonce": "n1",
        "code_challenge": challenge.decode(),
        "code_challenge_method": "S256",
        **extra,
    }
    return "/o/authorize/?" + urlencode(query)


def exchange(client: Client, app: dict[str, str], location: str, verifier: str) -> dict:  # type: ignore[type-arg]
    code = parse_qs(urlsplit(location).query)["code"][0]
    response = client.post(
        "/o/token/",
        {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": CALLBACK,
            "client_id": app["client_id"],
            "client_secret": app["client_secret"],
            "code_verifier": verifier,
        },
    )
    assert response.status_code == 200, response.content
    return response.json()


def id_token_claims(token: dict) -> dict:  # type: ignore[type-arg]
    payload = token["id_token"].split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
