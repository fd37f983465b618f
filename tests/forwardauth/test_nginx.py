"""nginx (Debian's package) in front of a test app, asking Twofold through auth_request."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client

from tests.conftest import FrozenClock, sign_in
from twofold.accounts.models import User
from twofold.apppasswords.services import create_app_password

NGINX = shutil.which("nginx") or "/usr/sbin/nginx"

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        not Path(NGINX).exists(), reason="nginx is not installed (apt-get install nginx)"
    ),
]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def upstream() -> Iterator[str]:
    """The protected app: it answers with the headers the proxy gave it."""

    class Echo(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = json.dumps({"path": self.path, "headers": dict(self.headers)}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Echo)
    threading.Thread(target=server.serve_forever, args=(0.02,), daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


@pytest.fixture
def nginx(live_server, upstream: str, tmp_path: Path) -> Iterator[str]:
    port = _free_port()
    twofold = live_server.url
    config = tmp_path / "nginx.conf"
    run_as = "user root;" if os.geteuid() == 0 else ""
    config.write_text(
        f"""
{run_as}
worker_processes 1;
daemon off;
pid {tmp_path}/nginx.pid;
error_log {tmp_path}/error.log warn;
events {{ worker_connections 64; }}
http {{
  access_log off;
  client_body_temp_path {tmp_path}/body;
  proxy_temp_path {tmp_path}/proxy;
  fastcgi_temp_path {tmp_path}/fastcgi;
  uwsgi_temp_path {tmp_path}/uwsgi;
  scgi_temp_path {tmp_path}/scgi;
  server {{
    listen 127.0.0.1:{port};
    location = /_twofold {{
      internal;
      proxy_pass {twofold}/forward-auth;
      proxy_pass_request_body off;
      proxy_set_header Content-Length "";
      proxy_set_header X-Original-URI $request_uri;
    }}
    # Browsers: no session, off to sign in and back.
    location / {{
      auth_request /_twofold;
      auth_request_set $twofold_user $upstream_http_remote_user;
      auth_request_set $twofold_groups $upstream_http_remote_groups;
      proxy_set_header Remote-User $twofold_user;
      proxy_set_header Remote-Groups $twofold_groups;
      proxy_pass {upstream};
      error_page 401 = @signin;
    }}
    # Non-browser apps: a 401 they can answer with an app password.
    location /api/ {{
      auth_request /_twofold;
      auth_request_set $twofold_user $upstream_http_remote_user;
      proxy_set_header Remote-User $twofold_user;
      proxy_set_header Authorization "";
      proxy_pass {upstream};
    }}
    location @signin {{
      return 302 {twofold}/signin/?next=http://127.0.0.1:{port}$request_uri;
    }}
  }}
}}
"""
    )
    process = subprocess.Popen(
        [NGINX, "-c", str(config), "-p", str(tmp_path), "-e", str(tmp_path / "startup.log")],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 10
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), 0.2).close()
                break
            except OSError:
                assert process.poll() is None, process.stdout.read().decode()  # type: ignore[union-attr]
                assert time.monotonic() < deadline, "nginx did not start"
                time.sleep(0.05)
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        process.wait(timeout=10)


class NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None


def fetch(url: str, headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], bytes]:
    opener = urllib.request.build_opener(NoRedirects)
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with opener.open(request, timeout=10) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


def test_no_session_is_sent_to_sign_in_and_back(nginx: str, live_server) -> None:
    status, headers, _ = fetch(f"{nginx}/reports?year=2026")
    assert status == 302
    assert headers["Location"] == f"{live_server.url}/signin/?next={nginx}/reports?year=2026"


def test_a_signed_in_session_reaches_the_app_with_the_user(
    nginx: str, adele: User, add_authenticator, clock: FrozenClock
) -> None:
    from django.contrib.auth.models import Group

    adele.groups.add(Group.objects.create(name="finance"))
    _, secret = add_authenticator(adele)
    client = Client()
    sign_in(client, adele, secret, clock.now().timestamp())
    cookie = f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}"
    status, _, body = fetch(f"{nginx}/reports", {"Cookie": cookie})
    assert status == 200
    seen = json.loads(body)["headers"]
    assert seen["Remote-User"] == "adele@contoso.example"
    assert seen["Remote-Groups"] == "finance"


def test_spoofed_user_headers_from_the_browser_are_replaced(nginx: str, db: None) -> None:
    status, _, _ = fetch(f"{nginx}/reports", {"Remote-User": "admin@contoso.example"})
    assert status == 302


def test_app_passwords_work_for_non_browser_apps(nginx: str, adele: User) -> None:
    import base64

    _record, password = create_app_password(adele, "reporting script")
    token = base64.b64encode(f"{adele.username}:{password}".encode()).decode()
    status, _, body = fetch(f"{nginx}/api/export", {"Authorization": f"Basic {token}"})
    assert status == 200
    seen = json.loads(body)["headers"]
    assert seen["Remote-User"] == adele.username
    assert "Authorization" not in seen, "the app password stops at the proxy"
    wrong = base64.b64encode(f"{adele.username}:notmypassword123".encode()).decode()
    status, headers, _ = fetch(f"{nginx}/api/export", {"Authorization": f"Basic {wrong}"})
    assert status == 401
    assert headers["WWW-Authenticate"].startswith("Basic")
