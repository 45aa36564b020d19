"""Read every request body once, within a size cap, and treat it as JSON.

ricloud-py POSTs JSON text with no Content-Type header, and curl users often send
``-d`` (form-encoded) JSON; FastAPI would otherwise skip or misparse those bodies.

Bodies over ``max_bytes`` are refused with 413 as soon as the declared length or the
bytes read so far pass the cap, so an oversized upload is never held in memory. Bodies
that are not UTF-8, or nest deeper than any request needs, are ``invalid-body`` before
a JSON parser (which would recurse) sees them. A control character in the path, the
query string or a body field is ``invalid-parameter`` (``cloudtap.api.control_chars``).
"""

from __future__ import annotations

import re

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from cloudtap.api.control_chars import (
    form_field_with_control,
    json_field_with_control,
    path_has_control,
    query_field_with_control,
)
from cloudtap.api.errors import error_response
from cloudtap.api.limits import MAX_JSON_DEPTH

_JSON_METHODS = ("POST", "PUT", "PATCH", "DELETE")
# A JSON string (skipped whole, so brackets inside it do not count) or a bracket.
_TOKENS = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"|[\[\]{}]')


class BodyTooLarge(Exception):
    pass


def nests_deeper_than(text: str, limit: int) -> bool:
    depth = 0
    for match in _TOKENS.finditer(text):
        token = match.group()
        if token in "[{":
            depth += 1
            if depth > limit:
                return True
        elif token in "]}":
            depth -= 1
    return False


def body_problem(body: bytes) -> str | None:
    """Why ``body`` cannot be a JSON request body, or None (syntax is FastAPI's to check)."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        return "The request body is not valid UTF-8."
    if nests_deeper_than(text, MAX_JSON_DEPTH):
        return f"The request body nests deeper than {MAX_JSON_DEPTH} levels."
    return None


def _is_form(scope: Scope) -> bool:
    for key, value in scope["headers"]:
        if key.lower() == b"content-type":
            return value.lower().startswith(b"application/x-www-form-urlencoded")
    return False


def field_with_control(scope: Scope, body: bytes) -> str | None:
    """The path, query field or body field holding a control character, or None."""
    if path_has_control(scope["path"]):
        return "path"
    query = scope.get("query_string", b"").decode("latin-1")
    found = query_field_with_control(query) if query else None
    if found is None and body:
        text = body.decode("utf-8")  # checked by ``body_problem`` first
        found = form_field_with_control(text) if _is_form(scope) else json_field_with_control(text)
    return found


def _declared_length(scope: Scope) -> int | None:
    for key, value in scope["headers"]:
        if key.lower() == b"content-length" and value.strip().isdigit():
            return int(value)
    return None


async def _read_capped(receive: Receive, max_bytes: int) -> tuple[bytes, list[Message]]:
    """The whole body, or ``BodyTooLarge`` once more than ``max_bytes`` have arrived."""
    parts: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] != "http.request":
            return b"".join(parts), [message]  # disconnected: let the app see it
        chunk: bytes = message.get("body", b"")
        size += len(chunk)
        if size > max_bytes:
            raise BodyTooLarge
        parts.append(chunk)
        if not message.get("more_body", False):
            return b"".join(parts), []


class JsonBodyMiddleware:
    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = _declared_length(scope)
        try:
            if declared is not None and declared > self.max_bytes:
                raise BodyTooLarge
            body, pending = await _read_capped(receive, self.max_bytes)
        except BodyTooLarge:
            response = error_response(
                413,
                "body-too-large",
                f"The request body is larger than {self.max_bytes} bytes.",
                {"max_bytes": self.max_bytes},
            )
            await response(scope, receive, send)
            return
        problem = body_problem(body) if body else None
        if problem is not None:
            await error_response(400, "invalid-body", problem, {})(scope, receive, send)
            return
        field = field_with_control(scope, body)
        if field is not None:
            detail = "must not contain control characters"
            await error_response(
                400, "invalid-parameter", f"Invalid value for {field}: {detail}", {field: detail}
            )(scope, receive, send)
            return
        if scope["method"] in _JSON_METHODS:
            headers = [(k, v) for k, v in scope["headers"] if k.lower() != b"content-type"]
            headers.append((b"content-type", b"application/json"))
            scope = {**scope, "headers": headers}
        await self.app(scope, _replay(body, pending, receive), send)


def _replay(body: bytes, pending: list[Message], receive: Receive) -> Receive:
    """A ``receive`` that hands the app the body already read, then the real stream."""
    queued: list[Message] = [{"type": "http.request", "body": body, "more_body": False}]
    queued += pending

    async def replay() -> Message:
        if queued:
            return queued.pop(0)
        return await receive()

    return replay
