"""Small helpers for answering the way Apple's auth hosts do."""

from __future__ import annotations

import json
import secrets
import uuid
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

JSON_UTF8 = "application/json;charset=UTF-8"


async def json_object(request: Request) -> dict[str, Any] | None:
    """The request body as a JSON object, or ``None`` when it is not one."""
    raw = await request.body()
    try:
        value = json.loads(raw) if raw.strip() else {}
    except (ValueError, UnicodeDecodeError):
        return None
    return value if isinstance(value, dict) else None


# Content types Apple labels replies with where they are not plain JSON (icloudpd
# cassettes: signin/init's JSON and 2sv/trust's 204 come as text/html).
HTML = "text/html;charset=UTF-8"
JSON = "application/json;charset=UTF-8"


def apple_json(
    body: Any,
    status: int = 200,
    headers: dict[str, str] | None = None,
    content_type: str | None = None,
) -> JSONResponse:
    merged = {"X-Apple-I-Request-ID": str(uuid.uuid4())}
    merged.update(headers or {})
    return JSONResponse(body, status_code=status, headers=merged, media_type=content_type)


def empty(
    status: int, headers: dict[str, str] | None = None, content_type: str | None = None
) -> Response:
    """No body; ``content_type`` where Apple labels its empty reply with one."""
    merged = {"X-Apple-I-Request-ID": str(uuid.uuid4())}
    merged.update(headers or {})
    return Response(status_code=status, headers=merged, media_type=content_type)


def service_errors(
    status: int, code: str, message: str, headers: dict[str, str] | None = None
) -> JSONResponse:
    """idmsa's error envelope (``serviceErrors``), as on a wrong password or a lock."""
    body = {"serviceErrors": [{"code": code, "message": message, "suppressDismissal": False}]}
    merged = {"X-Apple-I-Ercd": code, **(headers or {})}
    return apple_json(body, status, merged)


def bad_request(message: str = "The request is not valid.") -> JSONResponse:
    return service_errors(400, "-20000", message)


def throttled() -> Response:
    """What Apple's edge answers when it refuses a client for a while.

    No ``Retry-After``: icloudpd's ``failed_auth_503.yml`` shows Apple sends none, so
    clients must back off on their own.
    """
    return Response(
        "Service Temporary Unavailable",
        status_code=503,
        media_type="text/html",
        headers={
            "scnt": secrets.token_hex(24),
            "X-Apple-I-Request-ID": str(uuid.uuid4()),
        },
    )
