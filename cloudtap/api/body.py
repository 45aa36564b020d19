"""Treat every request body as JSON, whatever its Content-Type says.

ricloud-py POSTs JSON text with no Content-Type header, and curl users often send
``-d`` (form-encoded) JSON; FastAPI would otherwise skip or misparse those bodies.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Receive, Scope, Send


class JsonBodyMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] in ("POST", "PUT", "PATCH", "DELETE"):
            headers = [(k, v) for k, v in scope["headers"] if k.lower() != b"content-type"]
            headers.append((b"content-type", b"application/json"))
            scope = {**scope, "headers": headers}
        await self.app(scope, receive, send)
