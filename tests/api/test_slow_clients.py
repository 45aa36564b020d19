"""Slow clients (slowloris) against ``cloudtap serve``: a connection that never finishes
its request head or body is answered 408 and closed, instead of holding a socket and a
request slot forever."""

from __future__ import annotations

import socket
from collections.abc import Iterator

import httpx
import pytest

from tests.cli.serve_process import ServedAPI, served_api

# Far beyond the 1 s limits the server gets here: a connection still open by then was
# never going to be dropped.
GIVE_UP_SECONDS = 20.0


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServedAPI]:
    env = {"CLOUDTAP_HEAD_TIMEOUT": "1", "CLOUDTAP_BODY_TIMEOUT": "1"}
    with served_api(tmp_path_factory.mktemp("slow") / "data", extra_env=env) as served:
        yield served


def _connect(api: ServedAPI) -> socket.socket:
    url = httpx.URL(api.url)
    sock = socket.create_connection((url.host, url.port or 80), timeout=GIVE_UP_SECONDS)
    return sock


def _read_until_closed(sock: socket.socket) -> bytes:
    """Everything the server sends until it closes; a timeout means it never did."""
    received = b""
    while True:
        try:
            chunk = sock.recv(65536)
        except TimeoutError:
            pytest.fail(f"the server kept the connection open; got {received!r}")
        if not chunk:
            return received
        received += chunk


def test_a_connection_that_sends_nothing_is_closed(api: ServedAPI) -> None:
    with _connect(api) as sock:
        _read_until_closed(sock)


def test_a_request_head_that_never_ends_is_refused_408(api: ServedAPI) -> None:
    with _connect(api) as sock:
        sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: a")
        answer = _read_until_closed(sock)
    assert answer.startswith(b"HTTP/1.1 408 "), answer
    assert b'"error": "request-timeout"' in answer


def test_a_body_that_never_ends_is_refused_408(api: ServedAPI) -> None:
    with _connect(api) as sock:
        sock.sendall(
            b"POST /users HTTP/1.1\r\nHost: x\r\nAuthorization: Token "
            + api.token.encode()
            + b"\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n"
            + b'{"identifier": '
        )
        answer = _read_until_closed(sock)
    assert answer.startswith(b"HTTP/1.1 408 "), answer


def test_an_idle_keep_alive_connection_is_closed_and_requests_still_work(
    api: ServedAPI,
) -> None:
    with _connect(api) as sock:
        sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        answer = _read_until_closed(sock)
    assert answer.startswith(b"HTTP/1.1 200 "), answer
    assert httpx.get(f"{api.url}/healthz", timeout=10).status_code == 200
