"""Faults and realism knobs in front of the whole sandbox: what real Apple throws.

``wrap_faults(app, world)`` returns an ASGI app that, per request, applies the knobs
of the account the request belongs to (its ``SandboxAccount.faults``), falling back
to process-wide settings from the environment:

======================================  ===============================================
``CLOUDTAP_SANDBOX_LATENCY_MS``         added before every answer
``CLOUDTAP_SANDBOX_BANDWIDTH_BPS``      response bodies trickle at this many bytes/s
``CLOUDTAP_SANDBOX_LINK_BPS``           download bodies of all connections together
                                        share a link of this many bytes/s
``CLOUDTAP_SANDBOX_THROTTLE_PER_MINUTE`` after N requests in a minute: 503
                                        ``Service Temporary Unavailable`` + Retry-After
``CLOUDTAP_SANDBOX_RESET_AFTER_BYTES``  downloads (non-JSON bodies) are cut after N bytes
                                        and the connection is dropped
``CLOUDTAP_SANDBOX_DOWNLOAD_URL_TTL``   download URLs in JSON answers stop working after
                                        N seconds: 410 Gone, as Apple's content hosts do
``CLOUDTAP_SANDBOX_MALFORMED_JSON_EVERY`` every Nth JSON answer is cut in half
======================================  ===============================================

Zero (the default) turns a knob off. A request belongs to an account through its web
session cookie or, for a download URL minted while the TTL knob is on, through the
``ctf_acct`` parameter added to the URL.
"""

from __future__ import annotations

import asyncio
import os
import re
import threading
import time
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass, fields, replace
from typing import Any
from urllib.parse import parse_qsl, urlencode

from starlette.requests import HTTPConnection
from starlette.responses import PlainTextResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from cloudtap.sandbox.accounts.model import FaultSpec, SandboxAccount
from cloudtap.sandbox.world import SandboxWorld

ENV_NAMES: dict[str, str] = {
    "latency_ms": "CLOUDTAP_SANDBOX_LATENCY_MS",
    "bandwidth_bps": "CLOUDTAP_SANDBOX_BANDWIDTH_BPS",
    "link_bps": "CLOUDTAP_SANDBOX_LINK_BPS",
    "throttle_per_minute": "CLOUDTAP_SANDBOX_THROTTLE_PER_MINUTE",
    "reset_after_bytes": "CLOUDTAP_SANDBOX_RESET_AFTER_BYTES",
    "download_url_ttl": "CLOUDTAP_SANDBOX_DOWNLOAD_URL_TTL",
    "malformed_json_every": "CLOUDTAP_SANDBOX_MALFORMED_JSON_EVERY",
}
EXPIRES_PARAM = "ctf_exp"
ACCOUNT_PARAM = "ctf_acct"
THROTTLE_WINDOW = 60.0
# Download URLs the TTL knob stamps: Apple's content hosts and our contact photos.
_DOWNLOAD_URL = re.compile(
    rb'"(https://(?:cvws\.icloud-content\.com(?:\.cn)?/|p\d+-contacts(?:ws)?\.icloud\.com'
    rb'(?:\.cn)?(?::443)?/co/photo/)[^"\\]*)"'
)


class ConnectionResetFault(ConnectionResetError):
    """Raised inside the server to drop a connection mid-download on purpose."""


def faults_from_env(environ: Mapping[str, str] | None = None) -> FaultSpec:
    env = os.environ if environ is None else environ
    values: dict[str, Any] = {}
    for spec_field in fields(FaultSpec):
        raw = env.get(ENV_NAMES[spec_field.name], "").strip()
        if not raw:
            continue
        cast = int if spec_field.type in (int, "int") else float
        try:
            value = cast(raw)
        except ValueError as exc:
            raise ValueError(f"{ENV_NAMES[spec_field.name]} must be a number, not {raw!r}") from exc
        if value < 0:
            raise ValueError(f"{ENV_NAMES[spec_field.name]} must not be negative")
        values[spec_field.name] = value
    return FaultSpec(**values)


def effective(defaults: FaultSpec, account: SandboxAccount | None) -> FaultSpec:
    """The account's knobs where set, the process-wide ones elsewhere."""
    if account is None:
        return defaults
    own = account.faults
    return replace(
        defaults,
        **{f.name: getattr(own, f.name) for f in fields(FaultSpec) if getattr(own, f.name)},
    )


class _Throttle:
    """Requests per key in a sliding minute; answers how long to wait once over."""

    def __init__(self) -> None:
        self._hits: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def hit(self, key: str, limit: int, now: float) -> float | None:
        with self._lock:
            hits = self._hits.setdefault(key, deque())
            while hits and hits[0] <= now - THROTTLE_WINDOW:
                hits.popleft()
            if len(hits) >= limit:
                return hits[0] + THROTTLE_WINDOW - now
            hits.append(now)
            return None


class _Counter:
    def __init__(self) -> None:
        self._counts: dict[str, int] = {}
        self._lock = threading.Lock()

    def next(self, key: str) -> int:
        with self._lock:
            self._counts[key] = self._counts.get(key, 0) + 1
            return self._counts[key]


class _Link:
    """One downstream link shared by every download: a virtual clock of when it is free.

    Each chunk books ``len / rate`` seconds after the previous booking, so concurrent
    downloads together never exceed the rate, and one alone gets all of it.
    """

    def __init__(self) -> None:
        self._free_at = 0.0

    async def send(self, size: int, rate: int) -> None:
        now = time.monotonic()
        self._free_at = max(self._free_at, now) + size / rate
        delay = self._free_at - now
        if delay > 0.001:  # shorter sleeps cost more than they shape
            await asyncio.sleep(delay)


class FaultInjector:
    def __init__(self, app: ASGIApp, world: SandboxWorld, defaults: FaultSpec) -> None:
        self.app = app
        self.world = world
        self.defaults = defaults
        self._throttle = _Throttle()
        self._json_answers = _Counter()
        self._link = _Link()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        query = parse_qsl(scope.get("query_string", b"").decode("latin-1"), True)
        ours = {k: v for k, v in query if k in (EXPIRES_PARAM, ACCOUNT_PARAM)}
        if ours:  # the hosts behind us never see our parameters
            rest = [(k, v) for k, v in query if k not in ours]
            scope = {**scope, "query_string": urlencode(rest).encode("latin-1")}
        account = self.world.account_for_cookies(HTTPConnection(scope).cookies)
        if account is None and ours.get(ACCOUNT_PARAM):
            account = self.world.account_by_dsid(ours[ACCOUNT_PARAM])
        spec = effective(self.defaults, account)
        key = account.apple_id.lower() if account else _client_key(scope)
        now = time.time()

        if _expired(ours.get(EXPIRES_PARAM), now):
            await PlainTextResponse("Gone", status_code=410)(scope, receive, send)
            return
        if spec.throttle_per_minute:
            wait = self._throttle.hit(key, spec.throttle_per_minute, now)
            if wait is not None:
                # Apple's edge 503 as captured (icloudpd failed_auth_503.yml: text/html,
                # this body), plus Retry-After: Apple's capture has none, but this knob
                # exists to exercise a client's honouring of it (HTTP allows it on a 503;
                # reports of Apple sending one are anecdotal). docs/apple-evidence.md.
                response = PlainTextResponse(
                    "Service Temporary Unavailable",
                    status_code=503,
                    media_type="text/html",
                    headers={"Retry-After": str(max(1, round(wait)))},
                )
                await response(scope, receive, send)
                return
        if spec.latency_ms:
            await asyncio.sleep(spec.latency_ms / 1000)
        if not any(getattr(spec, f.name) for f in fields(FaultSpec)):
            await self.app(scope, receive, send)
            return
        shaper = _ResponseShaper(send, spec, account, self._json_answers, key, self._link)
        await self.app(scope, receive, shaper.send)


def _client_key(scope: Scope) -> str:
    client = scope.get("client") or ("?", 0)
    return f"client:{client[0]}"


def _expired(value: str | None, now: float) -> bool:
    if value is None:
        return False
    try:
        return now > float(value)
    except ValueError:
        return True  # a mangled stamp is as good as expired


@dataclass
class _ResponseShaper:
    """Wraps ``send``: trickles, cuts, corrupts or re-stamps one response as knobs say."""

    downstream: Send
    spec: FaultSpec
    account: SandboxAccount | None
    json_answers: _Counter
    key: str
    link: _Link
    _start: Message | None = None
    _buffer: bytearray | None = None
    _is_download: bool = False
    _malformed: bool = False
    _sent: int = 0

    async def send(self, message: Message) -> None:
        if message["type"] == "http.response.start":
            await self._on_start(message)
        elif message["type"] == "http.response.body":
            await self._on_body(message)
        else:
            await self.downstream(message)

    async def _on_start(self, message: Message) -> None:
        headers = {k.lower(): v for k, v in message.get("headers", [])}
        content_type = headers.get(b"content-type", b"").decode("latin-1").lower()
        encoded = b"content-encoding" in headers
        is_json = "json" in content_type and not encoded
        # Photos, videos, contact images: bodies a client downloads rather than parses.
        self._is_download = not is_json and bool(content_type) and "text/" not in content_type
        if is_json and self.spec.malformed_json_every:
            count = self.json_answers.next(self.key)
            self._malformed = count % self.spec.malformed_json_every == 0
        if is_json and (self._malformed or self.spec.download_url_ttl):
            self._start, self._buffer = message, bytearray()
            return
        await self.downstream(message)

    async def _on_body(self, message: Message) -> None:
        body: bytes = message.get("body", b"")
        more = bool(message.get("more_body", False))
        if self._buffer is not None:
            self._buffer += body
            if more:
                return
            await self._flush_buffered()
            return
        if self._is_download and self.spec.reset_after_bytes:
            allowed = self.spec.reset_after_bytes - self._sent
            if len(body) > allowed:
                await self._trickle(body[: max(0, allowed)], more_body=True)
                raise ConnectionResetFault("sandbox fault: connection reset mid-download")
        await self._trickle(body, more_body=more)

    async def _flush_buffered(self) -> None:
        assert self._start is not None and self._buffer is not None
        body = bytes(self._buffer)
        if self.spec.download_url_ttl:
            body = self._stamp_download_urls(body)
        if self._malformed:
            body = body[: len(body) // 2]  # cut mid-document: not parseable JSON
        headers = [
            (k, v) for k, v in self._start.get("headers", []) if k.lower() != b"content-length"
        ]
        headers.append((b"content-length", str(len(body)).encode()))
        await self.downstream({**self._start, "headers": headers})
        await self._trickle(body, more_body=False)

    def _stamp_download_urls(self, body: bytes) -> bytes:
        expires = f"{time.time() + self.spec.download_url_ttl:.3f}"
        stamp = urlencode(
            {EXPIRES_PARAM: expires, ACCOUNT_PARAM: self.account.dsid if self.account else ""}
        ).encode()

        def add(match: re.Match[bytes]) -> bytes:
            url = match.group(1)
            return b'"' + url + (b"&" if b"?" in url else b"?") + stamp + b'"'

        return _DOWNLOAD_URL.sub(add, body)

    async def _trickle(self, body: bytes, more_body: bool) -> None:
        if self._is_download and self.spec.link_bps and body:
            await self.link.send(len(body), self.spec.link_bps)
        rate = self.spec.bandwidth_bps
        if not rate or not body:
            self._sent += len(body)
            await self.downstream(
                {"type": "http.response.body", "body": body, "more_body": more_body}
            )
            return
        piece = max(1, rate // 20)  # ~20 sends a second at the configured rate
        for offset in range(0, len(body), piece):
            chunk = body[offset : offset + piece]
            last = offset + piece >= len(body)
            self._sent += len(chunk)
            await self.downstream(
                {"type": "http.response.body", "body": chunk, "more_body": more_body or not last}
            )
            await asyncio.sleep(len(chunk) / rate)


def wrap_faults(app: ASGIApp, world: SandboxWorld) -> ASGIApp:
    """The sandbox app behind the fault knobs (settings from ``CLOUDTAP_SANDBOX_*``)."""
    return FaultInjector(app, world, faults_from_env())
