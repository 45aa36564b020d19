"""ricloud's error body, ``{"error", "message", "params"}``, for every failure.

ricloud-py crashes on a non-JSON error body, so every path that can fail — validation,
unknown routes, unexpected exceptions — ends here.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import IntegrityError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import BaseRoute, Match
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from cloudtap.store.file_identity import DatabaseFileChanged

log = logging.getLogger(__name__)


class ApiError(Exception):
    def __init__(
        self, status: int, error: str, message: str, params: dict[str, Any] | None = None
    ) -> None:
        super().__init__(message)
        self.status = status
        self.error = error
        self.message = message
        self.params = params or {}


def not_found(resource: str, object_id: str | None = None) -> ApiError:
    params = {"id": object_id} if object_id is not None else {}
    return ApiError(404, "not-found", f"No such {resource}.", params)


def invalid_parameter(name: str, detail: str) -> ApiError:
    return ApiError(400, "invalid-parameter", f"Invalid value for {name}: {detail}", {name: detail})


def error_response(
    status: int,
    error: str,
    message: str,
    params: dict[str, Any],
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    return JSONResponse(
        {"error": error, "message": message, "params": params},
        status_code=status,
        headers=headers,
    )


_STATUS_CODES = {
    400: "invalid-request",
    401: "authentication-required",
    403: "missing-scope",
    404: "not-found",
    405: "method-not-allowed",
    413: "body-too-large",
    429: "rate-limited",
}
# What FastAPI says when a body fails to parse for another reason than JSON syntax.
_BODY_PARSE_DETAIL = "There was an error parsing the body"


def _leaf_routes(routes: Iterable[BaseRoute]) -> Iterator[BaseRoute]:
    for route in routes:
        # FastAPI keeps each included router whole, behind one entry of the app's routes.
        included = getattr(route, "original_router", None) or getattr(route, "routes", None)
        if included is None:
            yield route
        else:
            yield from _leaf_routes(getattr(included, "routes", included))


def allowed_methods(request: Request) -> list[str]:
    """Every method some route of this path answers (FastAPI's 405 names at most one)."""
    methods: set[str] = set()
    for route in _leaf_routes(request.app.router.routes):
        route_methods = getattr(route, "methods", None)
        if route_methods and route.matches(request.scope)[0] is not Match.NONE:
            methods.update(route_methods)
    return sorted(methods)


def _validation_params(exc: RequestValidationError) -> tuple[str, str, dict[str, Any]]:
    params: dict[str, Any] = {}
    for item in exc.errors():
        if item.get("type") == "json_invalid":
            return "invalid-body", "The request body is not valid JSON.", {}
        location = [str(part) for part in item.get("loc", ()) if part not in ("body", "query")]
        params[".".join(location) or "body"] = item.get("msg", "invalid")
    return "invalid-parameter", "Some parameters are invalid.", params


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(ApiError)
    async def _api_error(_request: Request, exc: ApiError) -> JSONResponse:
        return error_response(exc.status, exc.error, exc.message, exc.params)

    @app.exception_handler(RequestValidationError)
    async def _validation(_request: Request, exc: RequestValidationError) -> JSONResponse:
        error, message, params = _validation_params(exc)
        return error_response(400, error, message, params)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = _STATUS_CODES.get(
            exc.status_code, "server-error" if exc.status_code >= 500 else "invalid-request"
        )
        message = exc.detail if isinstance(exc.detail, str) else code
        if exc.status_code == 400 and message == _BODY_PARSE_DETAIL:
            code, message = "invalid-body", "The request body is not valid JSON."
        headers = dict(exc.headers or {})
        if exc.status_code == 405:
            headers["Allow"] = ", ".join(allowed_methods(request))
        return error_response(exc.status_code, code, message, {}, headers)

    @app.exception_handler(IntegrityError)
    async def _conflict(_request: Request, exc: IntegrityError) -> JSONResponse:
        # A unique constraint (or a reference) the request broke; racing writers land
        # here too. The SQL stays in the log.
        log.info("integrity error: %s", type(exc.orig).__name__)
        return error_response(409, "conflict", "The request conflicts with an existing object.", {})

    @app.exception_handler(DatabaseFileChanged)
    async def _database_gone(_request: Request, exc: DatabaseFileChanged) -> JSONResponse:
        return database_unavailable(exc)

    @app.exception_handler(Exception)
    async def _unexpected(_request: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error: %s", type(exc).__name__)
        return error_response(500, "server-error", "An unexpected error occurred.", {})


class DatabaseUnavailableMiddleware:
    """A middleware's unit of work (idempotency, audit) meeting a deleted or replaced
    database answers the same 503; outside the handlers by class, it would be a 500 and a
    dropped connection."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        started = False

        async def sending(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive, sending)
        except DatabaseFileChanged as exc:
            if started or scope["type"] != "http":
                raise
            await database_unavailable(exc)(scope, receive, send)


def database_unavailable(exc: DatabaseFileChanged) -> JSONResponse:
    """503: the server cannot keep what it would write (a real failure, not bad input)."""
    log.error("refusing requests: %s; restart the server", exc)
    return error_response(
        503,
        "service-unavailable",
        "The server's database is unavailable; nothing was written. Retry later.",
        {},
    )
