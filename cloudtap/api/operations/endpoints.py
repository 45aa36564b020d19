"""The operations endpoints and the per-request observer.

- ``GET /healthz``: the process answers (liveness); touches nothing.
- ``GET /readyz``: database, queue and result storage reachable; 503 ``not-ready`` with
  each check's outcome in ``params`` otherwise.
- ``GET /metrics``: Prometheus text. With ``CLOUDTAP_METRICS_TOKEN`` set it needs
  ``Authorization: Bearer <that token>``; without it, only loopback clients get it (a
  scraper elsewhere needs the token). Counts leak activity levels, never tenant data.

``RequestObserver`` gives every request an id (``X-Request-Id``, taken from the client
when it is a sane one), puts it and any poll id of the path into the log context, logs
one line per request (path without query string: signed links carry signatures) and
counts it by route template and status.
"""

from __future__ import annotations

import hmac
import itertools
import logging
import os
import re
import time
from typing import Any

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from cloudtap.api.operations.collectors import install_state_collector
from cloudtap.api.operations.health import readiness
from cloudtap.config import Settings
from cloudtap.ops import logs
from cloudtap.ops.metrics import HTTP_REQUESTS, HTTP_SECONDS, REGISTRY

log = logging.getLogger("cloudtap.requests")
router = APIRouter(tags=["operations"], include_in_schema=False)

_SANE_ID = re.compile(r"^[A-Za-z0-9._\-]{1,100}$")
_LOOPBACK = {"127.0.0.1", "::1"}
# A request's own id: this process's random prefix and a counter, 32 hex digits like a
# UUID's, without a system call (uuid4 reads os.urandom) on every request.
_ID_PREFIX = os.urandom(8).hex()
_ID_COUNTER = itertools.count()


def new_request_id() -> str:
    return f"{_ID_PREFIX}{next(_ID_COUNTER):016x}"


@router.get("/healthz")
async def healthz() -> dict[str, str]:
    return {"status": "ok"}


@router.get("/readyz")
async def readyz(request: Request) -> JSONResponse:
    settings: Settings = request.app.state.settings
    checks = await run_in_threadpool(readiness, settings)
    if all(outcome == "ok" for outcome in checks.values()):
        return JSONResponse({"status": "ready", "checks": checks})
    failed = ", ".join(name for name, outcome in checks.items() if outcome != "ok")
    return JSONResponse(
        {"error": "not-ready", "message": f"Not ready: {failed} unreachable.", "params": checks},
        status_code=503,
    )


def _metrics_allowed(request: Request) -> bool:
    token = os.environ.get("CLOUDTAP_METRICS_TOKEN")
    if token:
        scheme, _, given = request.headers.get("authorization", "").partition(" ")
        return scheme.lower() == "bearer" and hmac.compare_digest(given.strip(), token)
    return request.client is not None and request.client.host in _LOOPBACK


@router.get("/metrics")
async def metrics(request: Request) -> Response:
    if not _metrics_allowed(request):
        return JSONResponse(
            {
                "error": "metrics-forbidden",
                "message": "Send 'Authorization: Bearer <CLOUDTAP_METRICS_TOKEN>', or scrape "
                "from loopback when no token is set.",
                "params": {},
            },
            status_code=403,
        )
    body = await run_in_threadpool(generate_latest, REGISTRY)
    return Response(body, media_type=CONTENT_TYPE_LATEST)


def install_operations(app: Any, settings: Settings) -> None:
    install_state_collector(settings)
    app.include_router(router)


def _route_template(scope: Scope) -> str:
    route = scope.get("route")
    path = getattr(route, "path", None)
    return str(path) if path else "unmatched"


class RequestObserver:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        # Plain-text runs keep uvicorn's own access line; JSON runs get this one instead.
        self.log_requests = logs.json_logs()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        given = next((v.decode() for k, v in scope["headers"] if k == b"x-request-id"), "")
        rid = given if _SANE_ID.match(given) else new_request_id()
        rid_token = logs.request_id.set(rid)
        poll_token = logs.poll_id.set(None)
        started = time.monotonic()
        status = 500

        async def observed(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
                message["headers"] = [*message.get("headers", []), (b"x-request-id", rid.encode())]
                poll = scope.get("path_params", {}).get("poll_id")
                if poll:
                    logs.poll_id.set(str(poll))
            await send(message)

        try:
            await self.app(scope, receive, observed)
        finally:
            seconds = time.monotonic() - started
            route = _route_template(scope)
            method = scope["method"]
            HTTP_REQUESTS.labels(method, route, str(status)).inc()
            HTTP_SECONDS.labels(method, route).observe(seconds)
            if self.log_requests:
                log.info(
                    "%s %s %d",
                    method,
                    scope["path"],
                    status,
                    extra={"route": route, "status": status, "duration_ms": int(seconds * 1000)},
                )
            logs.poll_id.reset(poll_token)
            logs.request_id.reset(rid_token)
