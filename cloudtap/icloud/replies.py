"""Turning Apple's error replies into typed errors with stable codes.

Apple reports failures in several shapes: idmsa's ``serviceErrors``/``service_errors``
lists with numeric codes, setup's ``{"success": false, "error": ...}``, CloudKit's
``serverErrorCode``, and bare status codes (503 throttling, 421/450 session ended).
"""

from __future__ import annotations

import json
import weakref
from typing import Any

import httpx
import orjson

from cloudtap.icloud import errors

# idmsa service error codes.
BAD_PASSWORD = "-20101"
ACCOUNT_LOCKED = "-20209"
WRONG_CODE = "-21669"

SESSION_ENDED_STATUS = frozenset({401, 421, 450})
THROTTLED_STATUS = frozenset({429, 503})


# Parsed bodies by reply: every check (lock, throttle, service errors, the caller's own
# read) looks at the same body, and parsing a CloudKit page is most of a listing's CPU.
_parsed: weakref.WeakKeyDictionary[httpx.Response, Any] = weakref.WeakKeyDictionary()
_UNPARSABLE, _NOT_YET = object(), object()


def json_body(response: httpx.Response) -> Any:
    """The reply's JSON, or ``None`` when it has no (valid) JSON body. Parsed once."""
    found = _parsed.get(response, _NOT_YET)
    if found is _NOT_YET:
        try:
            found = orjson.loads(response.content)  # UTF-8, as Apple sends: the fast path
        except orjson.JSONDecodeError:
            try:
                found = response.json()  # another declared charset, or not JSON at all
            except (json.JSONDecodeError, UnicodeDecodeError, ValueError):
                found = _UNPARSABLE
        _parsed[response] = found
    return None if found is _UNPARSABLE else found


def take_json_body(response: httpx.Response) -> Any:
    """``json_body``, handed over: the parse is no longer kept with the reply. httpx's
    replies sit in reference cycles, freed only by a cyclic collection, and a kept
    ~20,000-object page would wait for one (and make young collections walk it)."""
    body = json_body(response)
    _parsed.pop(response, None)
    return body


def service_error_codes(body: Any) -> list[str]:
    if not isinstance(body, dict):
        return []
    found: list[str] = []
    for key in ("serviceErrors", "service_errors", "validationErrors"):
        for item in body.get(key) or []:
            if isinstance(item, dict) and item.get("code") is not None:
                found.append(str(item["code"]))
    return found


def raise_for_common(response: httpx.Response) -> None:
    """Raise for the outcomes every Apple host shares: throttling, lock, server faults."""
    body = json_body(response)
    codes = service_error_codes(body)
    if ACCOUNT_LOCKED in codes or (isinstance(body, dict) and body.get("locked") is True):
        raise errors.AccountLocked("Apple has locked this account")
    if response.status_code in THROTTLED_STATUS:
        raise errors.RateLimited(
            "Apple is refusing requests for now; try again later", info=retry_after(response)
        )
    if response.status_code >= 500:
        raise errors.AppleUnavailable(f"Apple answered HTTP {response.status_code}")


def retry_after(response: httpx.Response) -> dict[str, Any] | None:
    """Apple's ``Retry-After`` (seconds), when it sends one, for the caller to honour."""
    value = response.headers.get("retry-after", "")
    return {"retry_after_seconds": int(value)} if value.isdigit() else None


def raise_for_signin(response: httpx.Response) -> None:
    raise_for_common(response)
    codes = service_error_codes(json_body(response))
    if response.status_code in (400, 401, 403) or BAD_PASSWORD in codes:
        raise errors.InvalidCredentials("Apple rejected the Apple ID or password")


def raise_for_code_check(response: httpx.Response) -> None:
    raise_for_common(response)
    body = json_body(response)
    if WRONG_CODE in service_error_codes(body) or response.status_code in (400, 401):
        raise errors.CodeInvalid("Apple rejected the verification code")
    if response.status_code >= 400:
        raise errors.AppleUnavailable(f"verification answered HTTP {response.status_code}")


# How much of Apple's ``reason`` text an error carries (it is Apple's wording, not data).
_REASON_CHARS = 200


def raise_for_error_envelope(response: httpx.Response, service: str) -> None:
    """Raise when a contacts/calendar host answers with its error envelope instead of data.

    Reported with HTTP 200 as ``{"reason": "Missing X-APPLE-WEBAUTH-TOKEN cookie",
    "error": 1}`` (docs/apple-evidence.md, "Service error envelope"); any truthy ``error``
    counts, whatever the status, so a refusal is never read as an empty book or calendar.
    """
    body = json_body(response)
    if not isinstance(body, dict) or body.get("error") in (None, False, 0, ""):
        return
    reason = body.get("reason") or body.get("errorReason") or ""
    info = {
        "service": service,
        "status": response.status_code,
        "apple_error": body["error"] if isinstance(body["error"], int | str) else True,
        "reason": str(reason)[:_REASON_CHARS],
    }
    raise errors.ServiceErrorReply(f"{service} answered with an error instead of data", info)


def service_json(response: httpx.Response, service: str, label: str) -> dict[str, Any]:
    """The JSON object a contacts or calendar host answered, or the typed error: Apple's
    common refusals, its error envelope, any other 4xx/5xx or a body that is no object."""
    raise_for_common(response)
    raise_for_error_envelope(response, service)
    body = json_body(response)
    if response.status_code >= 400 or not isinstance(body, dict):
        raise errors.AppleUnavailable(f"{label} answered HTTP {response.status_code}")
    return body


def require_json_object(response: httpx.Response, what: str) -> dict[str, Any]:
    body = json_body(response)
    if not isinstance(body, dict):
        raise errors.AppleUnavailable(f"{what}: Apple sent no JSON object")
    return body
