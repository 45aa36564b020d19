"""``callkit.calls`` against the sandbox world's own calls (its content generator, not the
wire): every published field, the ~3 months iCloud keeps, unicode and missing names."""

# The live-sandbox fixtures are imported from tests/icloud/client, hence F401/F811.
# ruff: noqa: F401, F811

from __future__ import annotations

from typing import Any

from cloudtap.icloud.client.connector import ICloudConnector
from cloudtap.icloud.datatypes.common import stable_id
from cloudtap.sandbox.runtime import RunningSandbox
from cloudtap.sandbox.services.content import calls as gen
from cloudtap.sandbox.services.content.rng import day_start, today
from tests.icloud.client.conftest import connector, requests_made, sandbox, transport
from tests.icloud.datatypes.sandbox_session import (
    assert_published_as_world,
    assert_spans_retention,
    from_ms,
    world_account,
)

ACCOUNT = "rich"
# What the world's (serviceProvider, callType) pairs mean: CallHistory's call types are
# 1 phone, 8 FaceTime video, 16 FaceTime audio, 0 a third-party app (iLEAPP's reading of
# CallHistory.storedata, see docs/apple-evidence.md); third-party apps by bundle id.
FACETIME = {8: "facetime_video", 16: "facetime_audio"}


def _service(call: gen.Call) -> str:
    if call.service_provider == "com.apple.Telephony":
        return "phone"
    if call.service_provider == "com.apple.FaceTime":
        return FACETIME[call.call_type]
    return call.service_provider


def _expected(call: gen.Call) -> dict[str, Any]:
    return {
        "id": stable_id("call", call.unique_id),
        "data_type": "callkit.call",
        "address": call.address,
        "address_type": "email" if call.handle_type == 3 else "phone",
        "name": call.name,
        "direction": "outgoing" if call.originated else "incoming",
        "answered": call.answered,
        "duration": call.duration,
        "service": _service(call),
        "country": call.iso_country_code,
        "date": from_ms(int(call.date.timestamp() * 1000)),  # Apple keeps milliseconds
    }


async def test_every_call_field_matches_the_world(
    connector: ICloudConnector, sandbox: RunningSandbox
) -> None:
    spec = world_account(sandbox, ACCOUNT).content
    now = day_start(today())
    world = [gen.call(spec, i, now) for i in range(gen.synced_count(spec))]
    expected = {stable_id("call", c.unique_id): _expected(c) for c in world}
    assert len(expected) == spec.calls
    await assert_published_as_world(connector, ACCOUNT, "callkit.calls", expected)
    # Only the last ~3 months exist; the world spans all of them.
    assert_spans_retention([c.date for c in world], now, gen.RETENTION_DAYS)
    # The world holds every case this test is meant to cover.
    assert any(c.name is None for c in world) and any(c.handle_type == 3 for c in world)
    assert any(c.name and not c.name.isascii() for c in world)
    assert {_service(c) for c in world} >= {"phone", "facetime_audio", "facetime_video"}
    assert any(not c.answered for c in world) and any(c.originated for c in world)
