"""The uvicorn setup ``cloudtap serve`` runs the API with.

uvicorn answers requests its HTTP parser refuses (headers over h11's 16 KiB, garbage)
itself, in plain text; ricloud-py crashes on a non-JSON error body, so those answers
are ricloud's JSON error too. ``serve`` parses HTTP with httptools (llhttp, in C: a
request head costs a fraction of h11's pure-Python parse), held to h11's 16 KiB limit
on a request's head; the h11 protocol stays for whoever picks it.

Slow clients (slowloris) are dropped: a request head must arrive within
``CLOUDTAP_HEAD_TIMEOUT`` seconds of its first byte (or of the connection), and its body
within ``CLOUDTAP_BODY_TIMEOUT`` of the head; otherwise 408 ``request-timeout`` and the
connection is closed. An idle kept-alive connection is closed by uvicorn after 5 s.
"""

from __future__ import annotations

import asyncio
import json
import os
from typing import Any

import h11
import uvicorn
from uvicorn.protocols.http.h11_impl import DEFAULT_MAX_INCOMPLETE_EVENT_SIZE, H11Protocol
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

# After refusing a request, how long the rest of it (e.g. a huge header) is read and
# dropped: closing with unread input makes the kernel reset the connection, and the
# client would never see the answer.
LINGER_SECONDS = 2.0


class JsonErrorH11Protocol(H11Protocol):
    _refused = False

    def data_received(self, data: bytes) -> None:
        if self._refused:
            return
        super().data_received(data)

    def send_400_response(self, msg: str) -> None:
        buffered, _closed = self.conn.trailing_data
        # h11 gives up on a head that outgrows its buffer: the headers are too large.
        limit = self.config.h11_max_incomplete_event_size or DEFAULT_MAX_INCOMPLETE_EVENT_SIZE
        if len(buffered) > limit:
            status, code = 431, "headers-too-large"
            message = "The request headers are too large."
        else:
            status, code, message = 400, "invalid-request", "The request is not valid HTTP."
        body = json.dumps({"error": code, "message": message, "params": {}}).encode()
        headers = [
            (b"content-type", b"application/json"),
            (b"content-length", str(len(body)).encode()),
            (b"connection", b"close"),
        ]
        for event in (
            h11.Response(status_code=status, headers=headers),
            h11.Data(data=body),
            h11.EndOfMessage(),
        ):
            self.transport.write(self.conn.send(event) or b"")
        self._refused = True
        if self.transport.can_write_eof():
            self.transport.write_eof()
            self.loop.call_later(LINGER_SECONDS, self.transport.close)
        else:
            self.transport.close()


def _refusal(status: int, code: str, message: str) -> bytes:
    body = json.dumps({"error": code, "message": message, "params": {}}).encode()
    reason = _REASONS[status].encode("ascii")
    head = (
        b"HTTP/1.1 %d %s\r\ncontent-type: application/json\r\ncontent-length: %d\r\n"
        b"connection: close\r\n\r\n" % (status, reason, len(body))
    )
    return head + body


_REASONS = {400: "Bad Request", 408: "Request Timeout", 431: "Request Header Fields Too Large"}

DEFAULT_HEAD_TIMEOUT_SECONDS = 10.0
DEFAULT_BODY_TIMEOUT_SECONDS = 60.0


def _seconds(name: str, default: float) -> float:
    return float(os.environ.get(name, default))


class JsonErrorHttpToolsProtocol(HttpToolsProtocol):
    """httptools' protocol with the refusals above: JSON bodies, and a request head
    (request line and headers) over ``MAX_HEAD_BYTES`` refused with 431 as h11 does.
    llhttp itself sets no bound: it would buffer a header of any size."""

    MAX_HEAD_BYTES = DEFAULT_MAX_INCOMPLETE_EVENT_SIZE
    _refused = False
    _in_head = True  # between a request's first byte and the end of its headers
    _head_bytes = 0
    _slow_timer: asyncio.TimerHandle | None = None

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._head_timeout = _seconds("CLOUDTAP_HEAD_TIMEOUT", DEFAULT_HEAD_TIMEOUT_SECONDS)
        self._body_timeout = _seconds("CLOUDTAP_BODY_TIMEOUT", DEFAULT_BODY_TIMEOUT_SECONDS)

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._deadline(self._head_timeout)  # a connection that never sends a request

    def connection_lost(self, exc: Exception | None) -> None:
        self._no_deadline()
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        if self._refused:
            return
        if self._in_head:
            self._head_bytes += len(data)
            if self._slow_timer is None:
                self._deadline(self._head_timeout)  # the first byte of a kept-alive request
        super().data_received(data)
        if self._in_head and not self._refused and self._head_bytes > self.MAX_HEAD_BYTES:
            self._refuse(431, "headers-too-large", "The request headers are too large.")

    def on_headers_complete(self) -> None:
        self._in_head = False
        self._deadline(self._body_timeout)
        super().on_headers_complete()

    def on_message_complete(self) -> None:
        self._in_head, self._head_bytes = True, 0  # a pipelined request's head comes next
        self._no_deadline()
        super().on_message_complete()

    def _deadline(self, seconds: float) -> None:
        self._no_deadline()
        if seconds > 0:
            self._slow_timer = self.loop.call_later(seconds, self._too_slow)

    def _no_deadline(self) -> None:
        if self._slow_timer is not None:
            self._slow_timer.cancel()
            self._slow_timer = None

    def _too_slow(self) -> None:
        self._slow_timer = None
        if self.cycle is not None and self.cycle.response_started:
            self.transport.close()  # an answer is under way: nothing more can be said
            return
        if self.cycle is not None:
            self.cycle.disconnected = True  # the app waiting for the body hears it ended
            self.cycle.message_event.set()
        self._refuse(408, "request-timeout", "The request was not received in time.")

    def send_400_response(self, msg: str) -> None:
        self._refuse(400, "invalid-request", "The request is not valid HTTP.")

    def _refuse(self, status: int, code: str, message: str) -> None:
        if self._refused:
            return
        self._refused = True
        self.transport.write(_refusal(status, code, message))
        if self.transport.can_write_eof():
            self.transport.write_eof()
            self.loop.call_later(LINGER_SECONDS, self.transport.close)
        else:
            self.transport.close()


HTTP_PROTOCOL = JsonErrorHttpToolsProtocol

# Listening on every interface names no address a client could use: links then name
# loopback, and ``serve`` asks for ``CLOUDTAP_PUBLIC_URL``.
WILDCARD_HOSTS = {"0.0.0.0", "::", ""}


def bind_url(host: str, port: int) -> str:
    """The URL of the address ``serve`` listens on, for links without a public URL."""
    if host in WILDCARD_HOSTS:
        host = "127.0.0.1"
    if ":" in host:
        host = f"[{host}]"
    return f"http://{host}:{port}"


def server_config(
    app: Any, *, host: str, port: int, log_level: str = "info", http: type = HTTP_PROTOCOL
) -> uvicorn.Config:
    return uvicorn.Config(app, host=host, port=port, log_level=log_level, http=http)
