"""One webhook delivery attempt: sign, connect to the vetted address, POST, record.

Retries, backoff and event states belong to the job layer; this module only makes one
attempt and reports what happened, so it is easy to test and reason about.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit

import httpx

from cloudtap.publish.webhooks.signature import HEADER as SIGNATURE_HEADER
from cloudtap.publish.webhooks.signature import sign
from cloudtap.publish.webhooks.ssrf import UnsafeWebhookURL, WebhookURLGuard

EVENT_ID_HEADER = "Ricloud-Event-Id"
USER_AGENT = "cloudtap-webhooks/1"
# A receiver's reply is only read this far: we need its status, not its content.
_MAX_REPLY_BYTES = 4096


@dataclass(frozen=True)
class DeliveryAttempt:
    url: str
    status_code: int | None
    error: str | None
    duration_ms: int

    @property
    def ok(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


def delivery_url(config_url: str, event_id: str) -> str:
    """ricloud-py's receiver routes ``POST <base>/<event id>``: append the id as a segment."""
    return config_url.rstrip("/") + "/" + event_id


def _pinned_request_url(url: str, address: str) -> str:
    parts = urlsplit(url)
    host = f"[{address}]" if ":" in address else address
    netloc = f"{host}:{parts.port}" if parts.port else host
    return urlunsplit((parts.scheme, netloc, parts.path or "/", parts.query, ""))


def deliver(
    *,
    config_url: str,
    event_id: str,
    body: bytes,
    secret: str,
    guard: WebhookURLGuard,
    timeout: float = 10.0,
    client: httpx.Client | None = None,
) -> DeliveryAttempt:
    url = delivery_url(config_url, event_id)
    started = time.monotonic()

    def finish(status: int | None, error: str | None) -> DeliveryAttempt:
        return DeliveryAttempt(url, status, error, int((time.monotonic() - started) * 1000))

    try:
        target = guard.check(url)
    except UnsafeWebhookURL as exc:
        return finish(None, str(exc))
    headers = {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        SIGNATURE_HEADER: sign(secret, body),
        EVENT_ID_HEADER: event_id,
        "Host": target.host if target.port in (80, 443) else f"{target.host}:{target.port}",
    }
    own_client = client is None
    http = client or httpx.Client(timeout=timeout, follow_redirects=False)
    try:
        request = http.build_request(
            "POST",
            _pinned_request_url(url, target.address),
            content=body,
            headers=headers,
            # TLS must still be checked against the name, not the pinned address.
            extensions={"sni_hostname": target.host} if target.scheme == "https" else {},
        )
        response = http.send(request, stream=True)
        try:
            read = 0
            for chunk in response.iter_raw():
                read += len(chunk)
                if read >= _MAX_REPLY_BYTES:
                    break
        finally:
            response.close()
        return finish(response.status_code, None)
    except httpx.HTTPError as exc:
        return finish(None, f"{type(exc).__name__}: {exc}"[:500])
    finally:
        if own_client:
            http.close()
