"""What every emulated iCloud web service shares: the session check, JSON in and out."""

from __future__ import annotations

import json
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


async def _not_authenticated(request: Request, exc: Exception) -> Response:
    return JSONResponse(
        {"success": False, "error": "Missing X-APPLE-WEBAUTH-TOKEN cookie", "errorCode": 421},
        status_code=421,
    )


async def _bad_request(request: Request, exc: Exception) -> Response:
    reason = exc.reason if isinstance(exc, BadRequest) else "bad request"
    return JSONResponse({"success": False, "error": reason, "errorCode": 400}, status_code=400)


async def _http_error(request: Request, exc: Exception) -> Response:
    status = exc.status_code if isinstance(exc, HTTPException) else 500
    detail = exc.detail if isinstance(exc, HTTPException) else "error"
    return JSONResponse({"success": False, "error": detail, "errorCode": status}, status)


def service_app(world: SandboxWorld, routes: list[BaseRoute]) -> Starlette:
    """A Starlette app for one service host, with Apple-shaped JSON errors."""
    app = Starlette(
        routes=routes,
        exception_handlers={
            NotAuthenticated: _not_authenticated,
            BadRequest: _bad_request,
            HTTPException: _http_error,
        },
    )
    app.state.world = world
    return app
