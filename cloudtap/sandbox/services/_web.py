"""What every emulated iCloud web service shares: the session check, JSON in and out."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable, Iterator
from typing import Any

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import BaseRoute

from cloudtap.sandbox.accounts.model import SandboxAccount
from cloudtap.sandbox.world import SandboxWorld


class NotAuthenticated(Exception):
    """No live web session: Apple's service hosts answer 421 (clients re-authenticate)."""


class Enveloped(Exception):
    """The account's service answers with Apple's error envelope (``error-envelope@``)."""


class BadRequest(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def account_of(request: Request) -> SandboxAccount:
    world: SandboxWorld = request.app.state.world
    account = world.account_for_cookies(request.cookies)
    if account is None:
        raise NotAuthenticated()
    return account


def enveloping_account_of(request: Request) -> SandboxAccount:
    """``account_of``, for the contacts and calendar hosts: an ``error-envelope@`` account
    gets the envelope (HTTP 200) instead of data."""
    account = account_of(request)
    if account.error_envelope:
        raise Enveloped()
    return account


async def json_body(request: Request) -> dict[str, Any]:
    """The request's JSON object; an empty body counts as ``{}``, anything else is a 400."""
    raw = await request.body()
    if not raw.strip():
        return {}
    try:
        body = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise BadRequest("request body is not valid JSON") from exc
    if body is None:
        return {}
    if not isinstance(body, dict):
        raise BadRequest("request body must be a JSON object")
    return body


def streamed_json(head: dict[str, Any], key: str, items: Iterable[Any]) -> StreamingResponse:
    """``{**head, key: [items...]}`` written item by item, so 10k items never sit in memory."""

    def chunks() -> Iterator[bytes]:
        opening = json.dumps(head)[:-1]
        yield (opening + (", " if head else "") + json.dumps(key) + ": [").encode()
        first = True
        for item in items:
            yield (("" if first else ",") + json.dumps(item, separators=(",", ":"))).encode()
            first = False
        yield b"]}"

    return StreamingResponse(chunks(), media_type="application/json; charset=UTF-8")


# Apple's contacts host without a live web session: ``{"reason": "Missing
# X-APPLE-WEBAUTH-TOKEN cookie", "error": 1}`` (ElyaConrad/iCloud-API #29, #44); the 421
# status is what pyicloud/icloudpd re-authenticate on. docs/apple-evidence.md,
# "Service error envelope".
MISSING_TOKEN = "Missing X-APPLE-WEBAUTH-TOKEN cookie"


def error_envelope(reason: str = MISSING_TOKEN, status: int = 200) -> JSONResponse:
    """The service hosts' error envelope (reported with HTTP 200 on contacts/calendar)."""
    return JSONResponse({"reason": reason, "error": 1}, status_code=status)


def _request_error(status: int, reason: str) -> JSONResponse:
    # A contacts host's refusal as reported: {requestUUID, errorReason, errorCode}
    # (ElyaConrad/iCloud-API #17, a 400); the same shape for our other 4xx is assumed.
    body = {"requestUUID": str(uuid.uuid4()), "errorReason": reason, "errorCode": status}
    return JSONResponse(body, status_code=status)


async def _not_authenticated(request: Request, exc: Exception) -> Response:
    return error_envelope(status=421)


async def _enveloped(request: Request, exc: Exception) -> Response:
    return error_envelope()


async def _bad_request(request: Request, exc: Exception) -> Response:
    reason = exc.reason if isinstance(exc, BadRequest) else "Bad Request"
    return _request_error(400, reason)


async def _http_error(request: Request, exc: Exception) -> Response:
    status = exc.status_code if isinstance(exc, HTTPException) else 500
    detail = exc.detail if isinstance(exc, HTTPException) else "error"
    return _request_error(status, str(detail))


def service_app(world: SandboxWorld, routes: list[BaseRoute]) -> Starlette:
    """A Starlette app for one service host, with Apple-shaped JSON errors."""
    app = Starlette(
        routes=routes,
        exception_handlers={
            NotAuthenticated: _not_authenticated,
            Enveloped: _enveloped,
            BadRequest: _bad_request,
            HTTPException: _http_error,
        },
    )
    app.state.world = world
    return app
