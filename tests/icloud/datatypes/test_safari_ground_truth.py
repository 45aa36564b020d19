"""``cloudkit_safari.history`` against the sandbox world's own visits (its content
generator, not the wire): every published field, the window the world keeps, unicode
addresses and titles, pages without a title."""

# The live-sandbox fixtures are imported from tests/icloud/client, hence F401/F811.
# ruff: noqa: F401, F811

from __future__ import annotations

from typing import Any

from cloudtap.icloud.client.connector import ICloudConnector
from cloudtap.icloud.datatypes.common import stable_id
from cloudtap.sandbox.runtime import RunningSandbox
from cloudtap.sandbox.services.content import history as gen
from cloudtap.sandbox.services.content.rng import day_start, today
from tests.icloud.client.conftest import connector, requests_made, sandbox, transport
from tests.icloud.datatypes.sandbox_session import (
    assert_published_as_world,
    assert_spans_retention,
    from_ms,
    world_account,
)

ACCOUNT = "rich"


def _expected(visit: gen.Visit) -> dict[str, Any]:
    return {
        "id": stable_id("visit", visit.id),
        "data_type": "cloudkit_safari.history_visit",
        "url": visit.url,
        "title": visit.title,
        "date": from_ms(int(visit.visit_time.timestamp() * 1000)),  # Apple keeps milliseconds
        "visit_count": visit.visit_count,
        "device": visit.device,
        "load_successful": visit.load_successful,
    }


async def test_every_visit_field_matches_the_world(
    connector: ICloudConnector, sandbox: RunningSandbox
) -> None:
    spec = world_account(sandbox, ACCOUNT).content
    now = day_start(today())
    world = [gen.visit(spec, i, now) for i in range(spec.history)]
    expected = {stable_id("visit", v.id): _expected(v) for v in world}
    assert len(expected) == spec.history
    await assert_published_as_world(connector, ACCOUNT, "cloudkit_safari.history", expected)
    # The world keeps a year of history (Safari's longest automatic setting) and spans it.
    assert_spans_retention([v.visit_time for v in world], now, gen.RETENTION_DAYS)
    # The world holds every case this test is meant to cover.
    assert any(v.title is None for v in world) and any(not v.load_successful for v in world)
    assert any(not v.url.isascii() for v in world)
    assert any(v.title and "東京" in v.title for v in world)
