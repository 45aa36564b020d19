"""Helpers of the dashboard tests: a webhook receiver, a second organisation's key, and
signing in over plain HTTP."""

from __future__ import annotations

import json
import re
import subprocess
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx

from tests.cli.serve_process import REPO, cloudtap_command, cloudtap_env

CSRF = re.compile(r'name="csrf" value="([^"]+)"')


@dataclass
class Receiver:
    url: str
    deliveries: list[dict[str, object]] = field(default_factory=list)

    def event_ids(self) -> list[str]:
        return [str(d["id"]) for d in self.deliveries]


@contextmanager
def webhook_receiver() -> Iterator[Receiver]:
    """A loopback HTTP server that accepts every webhook and keeps its JSON body."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), BaseHTTPRequestHandler)
    receiver = Receiver(f"http://127.0.0.1:{server.server_address[1]}/webhooks")

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            receiver.deliveries.append(json.loads(body))
            self.send_response(200)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"OK")

        def log_message(self, *args: object) -> None:
            pass

    server.RequestHandlerClass = Handler
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield receiver
    finally:
        server.shutdown()
        server.server_close()


def create_key(data_dir: Path, organisation: str, env: str = "sandbox") -> str:
    """A key made by ``cloudtap keys create`` on the served data dir (a new org if new)."""
    out = subprocess.run(
        [*cloudtap_command(), "keys", "create", "--organisation", organisation, "--env", env],
        cwd=REPO,
        env=cloudtap_env(data_dir),
        capture_output=True,
        text=True,
        check=True,
    )
    return out.stdout.strip().splitlines()[-1]


def csrf_of(html: str) -> str:
    match = CSRF.search(html)
    assert match, "the page has no CSRF field"
    return match.group(1)


def signed_in_client(url: str, token: str) -> tuple[httpx.Client, str]:
    """A client signed in to the dashboard with ``token``, and the page's CSRF token."""
    client = httpx.Client(base_url=url, follow_redirects=True, timeout=60)
    form = client.get("/dashboard/sign-in")
    answer = client.post("/dashboard/sign-in", data={"csrf": csrf_of(form.text), "token": token})
    assert answer.status_code == 200 and answer.url.path == "/dashboard", answer.text
    return client, csrf_of(answer.text)


def sign_in_by_keyboard(page: Any, url: str, token: str) -> None:
    """Signs in through the form with the keyboard only (Tab to the field, Enter)."""
    page.goto(f"{url}/dashboard")
    assert page.url.endswith("/dashboard/sign-in")
    for _ in range(10):  # the skip link, then the token field
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.id") == "token":
            break
    assert page.evaluate("document.activeElement.id") == "token"
    page.keyboard.type(token)
    page.keyboard.press("Enter")
    page.wait_for_url(f"{url}/dashboard")


def unlabelled_fields(page: Any) -> list[str]:
    """Visible form fields with neither a <label> nor an aria-label."""
    return list(
        page.evaluate(
            """() => [...document.querySelectorAll('input, select, textarea')]
            .filter(el => el.type !== 'hidden')
            .filter(el => el.labels.length === 0 && !el.getAttribute('aria-label'))
            .map(el => el.name || el.id)"""
        )
    )
