"""Every non-photo service of a replayed capture, answered from its recorded exchanges.

A ``capture_*.yml`` account's photo library is rebuilt as a library
(``sandbox.photos.replay``); every other call the capture recorded (contacts, calendar,
notes, reminders, calls, Safari history, Find My, Drive) is answered with the recorded
reply of the exchange that matches it: the same method, service host label and path,
then the most equal *selectors* (the query parameters and body values that choose the
data: CloudKit zone, record type, record names, continuation markers, sync tokens,
Drive folder ids), then the one this account was served least often, in captured order
(a walk the client drives itself, as the calendar's month windows, is answered in the
order it was captured). Volatile parameters (client build, client id, dsid, in the query
or as a path segment) are ignored.

A call with no recorded exchange of that method, host and path gets the error Apple
would give for a call it does not serve: assumed (docs/apple-evidence.md): CloudKit's
``BAD_REQUEST`` envelope (HTTP 400), any other host a 404.
"""

from __future__ import annotations

import json
import re
import threading
import uuid
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import yaml
from starlette.responses import JSONResponse, Response

from cloudtap.sandbox.hosts import parse_service_host

# Photos are rebuilt as a library (downloads rewritten); everything else is replayed here.
PHOTOS_CONTAINER = "/com.apple.photos.cloud/"
_VOLATILE_QUERY = frozenset({"clientBuildNumber", "clientMasteringNumber", "clientId", "dsid"})
# Body keys whose values select the data (the rest says how the client wants it).
_SELECTORS = frozenset(
    {
        "zoneName",
        "recordType",
        "recordName",
        "continuationMarker",
        "syncToken",
        "prefToken",
        "drivewsid",
        "document_id",
    }
)
_KEPT_HEADERS = ("content-type",)
# A path segment that is an account number (shared streams' ``/<dsid>/sharedstreams/``):
# volatile as the query's dsid, the replay account's own is not the captured pseudonym.
_DSID_SEGMENT = re.compile(r"(?<=/)\d{6,}(?=/|$)")


@dataclass(frozen=True)
class Recorded:
    status: int
    headers: tuple[tuple[str, str], ...]
    body: bytes
    selectors: frozenset[tuple[str, str]]


def _body_text(part: Any) -> str:
    body = part.get("body") if isinstance(part, dict) else None
    if isinstance(body, dict):
        body = body.get("string")
    if isinstance(body, bytes):
        return body.decode("utf-8", errors="replace")
    return body if isinstance(body, str) else ""


def _walk(value: Any, key: str | None = None) -> Iterator[tuple[str, str]]:
    if isinstance(value, dict):
        for inner_key, inner in value.items():
            yield from _walk(inner, str(inner_key))
    elif isinstance(value, list):
        for item in value:
            yield from _walk(item, key)
    elif key in _SELECTORS and isinstance(value, str | int):
        yield key, str(value)


def selectors(query: str, body: bytes | str) -> frozenset[tuple[str, str]]:
    """What chooses a call's data: its non-volatile query parameters and selector values."""
    found = {(k, v) for k, v in parse_qsl(query) if k not in _VOLATILE_QUERY}
    try:
        document = json.loads(body) if body else None
    except ValueError:
        document = None
    return frozenset(found | set(_walk(document)))


def endpoint(method: str, host: str, path: str) -> tuple[str, str, str] | None:
    """The key a call is matched on; ``None`` for calls this module does not answer
    (sign-in and setup hosts, photos' own container, the content host)."""
    service = parse_service_host(host.split(":", 1)[0].lower())
    if service is None or PHOTOS_CONTAINER in path:
        return None
    return method.upper(), service, _DSID_SEGMENT.sub("{dsid}", path)


@lru_cache(maxsize=16)
def recorded_calls(cassette: Path) -> dict[tuple[str, str, str], tuple[Recorded, ...]]:
    """The capture's service calls by endpoint, in captured order."""
    with open(cassette, encoding="utf-8") as handle:
        document = yaml.load(handle, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    calls: dict[tuple[str, str, str], list[Recorded]] = {}
    for interaction in (document or {}).get("interactions", []):
        request = interaction.get("request", {})
        response = interaction.get("response", {})
        uri = urlsplit(str(request.get("uri", "")))
        key = endpoint(str(request.get("method", "GET")), uri.hostname or "", uri.path)
        if key is None:
            continue
        headers = tuple(
            (name, str(values[0]))
            for name, values in (response.get("headers") or {}).items()
            if name.lower() in _KEPT_HEADERS and values
        )
        recorded = Recorded(
            status=int((response.get("status") or {}).get("code", 200)),
            headers=headers,
            body=_body_text(response).encode(),
            selectors=selectors(uri.query, _body_text(request)),
        )
        calls.setdefault(key, []).append(recorded)
    return {key: tuple(found) for key, found in calls.items()}


def unmatched(service: str) -> Response:
    """The answer to a call the capture never made (assumed, see the module's doc)."""
    if service == "ckdatabasews":
        body = {
            "uuid": str(uuid.uuid4()),
            "serverErrorCode": "BAD_REQUEST",
            "reason": "not in the replayed capture",
        }
        return JSONResponse(body, 400)
    return JSONResponse({"error": "not in the replayed capture"}, 404)


class CaptureReplay:
    """Which recorded exchange answers a call, remembering what each account was served."""

    def __init__(self) -> None:
        self._served: Counter[tuple[str, tuple[str, str, str], int]] = Counter()
        self._lock = threading.Lock()

    def answer(
        self, session: str, cassette: Path, key: tuple[str, str, str], wanted: frozenset[Any]
    ) -> Recorded | None:
        """The best match for one web session's call (``None``: none of that endpoint)."""
        candidates = recorded_calls(cassette).get(key, ())
        if not candidates:
            return None
        with self._lock:
            best = max(
                range(len(candidates)),
                key=lambda i: (
                    len(candidates[i].selectors & wanted),
                    -len(candidates[i].selectors - wanted),
                    -self._served[(session, key, i)],
                    -i,
                ),
            )
            self._served[(session, key, best)] += 1
        return candidates[best]


@lru_cache(maxsize=16)
def captured_webservices(cassette: Path) -> dict[str, Any] | None:
    """The ``webservices`` of the capture's ``accountLogin`` reply (``None``: none)."""
    with open(cassette, encoding="utf-8") as handle:
        document = yaml.load(handle, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    for interaction in (document or {}).get("interactions", []):
        uri = str(interaction.get("request", {}).get("uri", ""))
        if urlsplit(uri).path.endswith("/accountLogin"):
            try:
                reply = json.loads(_body_text(interaction.get("response", {})) or "{}")
            except ValueError:
                return None
            services = reply.get("webservices") if isinstance(reply, dict) else None
            return services if isinstance(services, dict) else None
    return None
