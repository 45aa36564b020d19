"""The API behind the real uvicorn server ``cloudtap serve`` runs, on a loopback port.

Requests the HTTP parser refuses before the app sees them (oversized headers, garbage)
must still get ricloud's JSON error body: ricloud-py crashes on anything else.
"""

from __future__ import annotations

import contextlib
import json
import socket
import threading
import time
from collections.abc import Iterator

import pytest
import uvicorn

from cloudtap.api.server import HTTP_PROTOCOL, JsonErrorH11Protocol, server_config
from cloudtap.app import create_app
from cloudtap.config import Settings


# ``serve``'s protocol (httptools) and the h11 one it replaced: both must refuse in JSON.
@pytest.fixture(params=[HTTP_PROTOCOL, JsonErrorH11Protocol], ids=["httptools", "h11"])
def server_port(settings: Settings, request: pytest.FixtureRequest) -> Iterator[int]:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = int(sock.getsockname()[1])
    config = server_config(create_app(settings), host="127.0.0.1", port=port, http=request.param)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    assert server.started, "uvicorn did not start"
    yield port
    server.should_exit = True
    thread.join(10)
    sock.close()


def _exchange(port: int, request: bytes) -> tuple[int, dict[str, str], bytes]:
    with socket.create_connection(("127.0.0.1", port), timeout=10) as conn:
        # The server may answer and close before reading it all.
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            conn.sendall(request)
        reply = b""
        while chunk := conn.recv(65536):
            reply += chunk
    head, _, body = reply.partition(b"\r\n\r\n")
    status_line, *header_lines = head.decode("latin-1").split("\r\n")
    headers = {k.strip().lower(): v.strip() for k, _, v in (h.partition(":") for h in header_lines)}
    return int(status_line.split()[1]), headers, body


def _assert_json_error(status: int, headers: dict[str, str], body: bytes, code: str) -> None:
    assert headers.get("content-type", "").startswith("application/json"), (status, body)
    parsed = json.loads(body)
    assert set(parsed) == {"error", "message", "params"}
    assert parsed["error"] == code


def test_megabyte_authorization_header_gets_a_json_error(server_port: int) -> None:
    request = (
        b"GET /organisation HTTP/1.1\r\nHost: localhost\r\nAuthorization: Token "
        + b"a" * 1_000_000
        + b"\r\nConnection: close\r\n\r\n"
    )
    status, headers, body = _exchange(server_port, request)
    assert status == 431
    _assert_json_error(status, headers, body, "headers-too-large")


def test_garbage_request_line_gets_a_json_error(server_port: int) -> None:
    status, headers, body = _exchange(server_port, b"NOT HTTP AT ALL\r\n\r\n")
    assert status == 400
    _assert_json_error(status, headers, body, "invalid-request")


def test_a_head_just_under_the_limit_is_served_and_keeps_the_connection(
    server_port: int,
) -> None:
    # Two requests on one connection, each with a 12 KiB header: together over the
    # limit, each under it, so neither is refused.
    one = b"GET /organisation HTTP/1.1\r\nHost: localhost\r\nX-Pad: " + b"p" * 12_000 + b"\r\n\r\n"
    with socket.create_connection(("127.0.0.1", server_port), timeout=10) as conn:
        for _ in range(2):
            conn.sendall(one)
            reply = b""
            while b"\r\n\r\n" not in reply or not reply.rstrip().endswith(b"}"):
                reply += conn.recv(65536)
            assert reply.startswith(b"HTTP/1.1 401"), reply[:80]


def test_an_oversized_second_request_on_a_kept_connection_gets_a_json_error(
    server_port: int,
) -> None:
    first = b"GET /organisation HTTP/1.1\r\nHost: localhost\r\n\r\n"
    second = (
        b"GET /organisation HTTP/1.1\r\nHost: localhost\r\nX-Pad: "
        + b"p" * 1_000_000
        + b"\r\nConnection: close\r\n\r\n"
    )
    status, _headers, body = _exchange(server_port, first + second)
    # The first answer (401) comes first; the refusal closes the connection.
    assert status == 401
    assert b"HTTP/1.1 431" in body
    assert body.rstrip().endswith(b'"params": {}}')


def test_ordinary_requests_still_work(server_port: int) -> None:
    request = b"GET /organisation HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"
    status, headers, body = _exchange(server_port, request)
    assert status == 401
    _assert_json_error(status, headers, body, "authentication-required")
