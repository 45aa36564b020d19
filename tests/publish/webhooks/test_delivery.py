from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest

from cloudtap.publish.webhooks.delivery import EVENT_ID_HEADER, deliver
from cloudtap.publish.webhooks.signature import verify
from cloudtap.publish.webhooks.ssrf import WebhookURLGuard


class Receiver(BaseHTTPRequestHandler):
    received: list[tuple[str, dict[str, str], bytes]] = []
    status = 200

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        Receiver.received.append((self.path, dict(self.headers), body))
        self.send_response(Receiver.status)
        if Receiver.status in (301, 302):
            self.send_header("Location", "http://127.0.0.1:1/elsewhere")
        self.end_headers()
        self.wfile.write(b"OK")

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def receiver() -> Iterator[str]:
    Receiver.received = []
    Receiver.status = 200
    server = HTTPServer(("127.0.0.1", 0), Receiver)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/webhooks"
    server.shutdown()


def test_delivers_signed_body_to_url_plus_event_id(receiver: str) -> None:
    attempt = deliver(
        config_url=receiver,
        event_id="3f1c",
        body=b'{"id":"3f1c"}',
        secret="sek",
        guard=WebhookURLGuard(allow=["127.0.0.1"]),
    )
    assert attempt.ok and attempt.status_code == 200
    path, headers, body = Receiver.received[0]
    assert path == "/webhooks/3f1c"
    assert body == b'{"id":"3f1c"}'
    assert headers[EVENT_ID_HEADER] == "3f1c"
    assert headers["Content-Type"] == "application/json"
    assert verify("sek", body, headers["Ricloud-Signature"])


def test_loopback_is_refused_without_allow_list(receiver: str) -> None:
    attempt = deliver(
        config_url=receiver, event_id="e", body=b"{}", secret="s", guard=WebhookURLGuard()
    )
    assert not attempt.ok and attempt.status_code is None
    assert attempt.error and "private" in attempt.error
    assert Receiver.received == []


def test_redirects_are_not_followed(receiver: str) -> None:
    Receiver.status = 302
    attempt = deliver(
        config_url=receiver,
        event_id="e",
        body=b"{}",
        secret="s",
        guard=WebhookURLGuard(allow=["127.0.0.1"]),
    )
    assert attempt.status_code == 302 and not attempt.ok
    assert len(Receiver.received) == 1


def test_unreachable_receiver_is_an_error_not_an_exception() -> None:
    attempt = deliver(
        config_url="http://127.0.0.1:9/hook",
        event_id="e",
        body=b"{}",
        secret="s",
        guard=WebhookURLGuard(allow=["127.0.0.1"]),
        timeout=2,
    )
    assert attempt.status_code is None and attempt.error
