"""``Idempotency-Key`` on every POST: a retried request gets the first one's answer.

The same key (per API key) with the same method, path and body replays the stored
status and body (``Idempotent-Replayed: true``); with another request it is 422
``idempotency-key-reused``; while the first is still running, 409
``idempotency-key-in-progress``. Answers are kept ``CLOUDTAP_IDEMPOTENCY_TTL`` seconds
(default a day), sealed with the master key since some (a new key's token) are secrets.
A 5xx is not stored: the request may be retried for real.
"""

from __future__ import annotations

import hashlib
import os
from datetime import timedelta

from starlette.concurrency import run_in_threadpool
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from cloudtap.api.errors import error_response
from cloudtap.config import Settings
from cloudtap.crypto.sealing import Sealed, Sealer, SealError
from cloudtap.store.accounts import key_for_token
from cloudtap.store.db import transaction
from cloudtap.store.idempotency import Claimed, Stored, claim, finish, release

HEADER = b"idempotency-key"
MAX_KEY_LENGTH = 255
DEFAULT_TTL_SECONDS = 24 * 3600


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope["headers"]:
        if key == name:
            return str(value.decode("latin-1"))
    return None


def _token(scope: Scope) -> str | None:
    scheme, _, token = (_header(scope, b"authorization") or "").strip().partition(" ")
    if scheme.lower() in ("token", "bearer") and token.strip():
        return token.strip()
    return None


def request_fingerprint(scope: Scope, body: bytes) -> str:
    digest = hashlib.sha256()
    for part in (scope["method"], scope["path"], scope.get("query_string", b"").decode()):
        digest.update(part.encode() + b"\0")
    digest.update(body)
    return digest.hexdigest()


def _context(key_id: str, idempotency_key: str) -> str:
    return f"idempotency:{key_id}:{idempotency_key}"


class IdempotencyMiddleware:
    def __init__(self, app: ASGIApp, settings: Settings) -> None:
        self.app = app
        self.settings = settings
        self.ttl = timedelta(
            seconds=float(os.environ.get("CLOUDTAP_IDEMPOTENCY_TTL", DEFAULT_TTL_SECONDS))
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "POST":
            await self.app(scope, receive, send)
            return
        idempotency_key = _header(scope, HEADER)
        token = _token(scope)
        if idempotency_key is None or token is None:
            await self.app(scope, receive, send)
            return
        if not 0 < len(idempotency_key) <= MAX_KEY_LENGTH:
            detail = f"1 to {MAX_KEY_LENGTH} characters"
            await error_response(
                400,
                "invalid-parameter",
                f"Invalid value for Idempotency-Key: {detail}",
                {"Idempotency-Key": detail},
            )(scope, receive, send)
            return
        body = await _read_body(receive)
        replay = _replayer(body)
        claimed = await run_in_threadpool(
            self._claim, token, idempotency_key, request_fingerprint(scope, body)
        )
        if claimed is None:  # not a valid key: the API answers 401 itself
            await self.app(scope, replay, send)
            return
        key_id, outcome = claimed
        if isinstance(outcome, Stored):
            await self._answer_stored(scope, receive, send, key_id, idempotency_key, outcome)
            return
        await self._run_and_store(scope, replay, send, key_id, idempotency_key, outcome)

    def _claim(
        self, token: str, idempotency_key: str, request_hash: str
    ) -> tuple[str, Claimed | Stored] | None:
        with transaction(self.settings.database_url) as db:
            key = key_for_token(db, token)
            if key is None:
                return None
            return key.id, claim(db, key.id, idempotency_key, request_hash, self.ttl)

    async def _answer_stored(
        self,
        scope: Scope,
        receive: Receive,
        send: Send,
        key_id: str,
        idempotency_key: str,
        stored: Stored,
    ) -> None:
        if not stored.same:
            response = error_response(
                422,
                "idempotency-key-reused",
                "This Idempotency-Key was used with another request.",
                {"Idempotency-Key": idempotency_key},
            )
        elif stored.status_code is None or stored.response_sealed is None:
            response = error_response(
                409,
                "idempotency-key-in-progress",
                "A request with this Idempotency-Key is still being answered; retry later.",
                {"Idempotency-Key": idempotency_key},
            )
        else:
            try:
                body = Sealer(self.settings.master_key).open(
                    Sealed(stored.response_key_id or "", stored.response_sealed),
                    _context(key_id, idempotency_key),
                )
            except SealError:
                body = None
            if body is None:
                response = error_response(
                    409,
                    "idempotency-key-unreadable",
                    "The stored answer can no longer be read (the master key changed).",
                    {"Idempotency-Key": idempotency_key},
                )
            else:
                await _send_raw(send, stored.status_code, body)
                return
        await response(scope, receive, send)

    async def _run_and_store(
        self,
        scope: Scope,
        receive: Receive,
        send: Send,
        key_id: str,
        idempotency_key: str,
        claimed: Claimed,
    ) -> None:
        status = 500
        chunks: list[bytes] = []

        async def capture(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            elif message["type"] == "http.response.body":
                chunks.append(bytes(message.get("body", b"")))
            await send(message)

        stored = False
        try:
            await self.app(scope, receive, capture)
            if status < 500:
                await run_in_threadpool(
                    self._finish, claimed.pk, key_id, idempotency_key, status, b"".join(chunks)
                )
                stored = True
        finally:
            if not stored:
                await run_in_threadpool(self._release, claimed.pk)

    def _finish(self, pk: int, key_id: str, idempotency_key: str, status: int, body: bytes) -> None:
        sealed = Sealer(self.settings.master_key).seal(body, _context(key_id, idempotency_key))
        with transaction(self.settings.database_url) as db:
            finish(db, pk, status, sealed.blob, sealed.key_id)

    def _release(self, pk: int) -> None:
        with transaction(self.settings.database_url) as db:
            release(db, pk)


async def _read_body(receive: Receive) -> bytes:
    chunks: list[bytes] = []
    while True:
        message = await receive()
        if message["type"] != "http.request":
            break
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            break
    return b"".join(chunks)


def _replayer(body: bytes) -> Receive:
    sent = False

    async def receive() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return {"type": "http.disconnect"}

    return receive


async def _send_raw(send: Send, status: int, body: bytes) -> None:
    headers: list[tuple[bytes, bytes]] = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(body)).encode()),
        (b"idempotent-replayed", b"true"),
    ]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
