"""Bad input gets a clear 4xx in Apple's JSON shape, never a 500."""

from __future__ import annotations

import pytest

from tests.sandbox.services.conftest import ServiceClient

CASES = [
    ("contacts", "GET", "/co/contacts?offset=-1", None),
    ("contacts", "GET", "/co/contacts?limit=1e9", None),
    ("contacts", "GET", "/co/photo/not-a-contact", None),
    ("contacts", "GET", "/co/nothing-here", None),
    ("calendar", "GET", "/ca/events?startDate=2025-13-01", None),
    ("calendar", "GET", "/ca/eventdetail/x/y*z", None),
    ("calendar", "POST", "/ca/events/x/y", b"{}"),
    ("fmipweb", "POST", "/fmipservice/client/web/initClient", b"[1, 2]"),
    ("fmipweb", "POST", "/fmipservice/client/web/refreshClient", b"\xff\xfe"),
    ("fmipweb", "GET", "/fmipservice/client/web/initClient", None),
    ("setup", "GET", "/setup/web/family/getMemberPhoto?memberId=1", None),
]


@pytest.mark.parametrize(("service", "method", "path", "body"), CASES)
async def test_bad_input_is_a_client_error(
    service_client: ServiceClient, service: str, method: str, path: str, body: bytes | None
) -> None:
    async with service_client(service) as client:
        reply = await client.request(method, path, content=body)
    assert 400 <= reply.status_code < 500, (path, reply.status_code, reply.text)
    refusal = reply.json()
    # The reported contacts-host refusal {requestUUID, errorReason, errorCode}; the
    # per-route 404s keep their own shapes (their evidence: docs/apple-evidence.md).
    assert refusal.get("errorCode") == reply.status_code or refusal.get("success") is False
