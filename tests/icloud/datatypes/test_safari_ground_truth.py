"""``cloudkit_safari.history`` against the sandbox world's own visits (its content
generator, not the wire): every published field, the window the world keeps, unicode
addresses and titles, pages without a title."""

# The live-sandbox fixtures are imported from tests/icloud/client, hence F401/F811.
# ruff: noqa: F401, F811

from __future__ import annotations

from datetime import timedelta
from typing import Any

from cloudtap.icloud.client.connector import ICloudConnector
from cloudtap.icloud.datatypes.common import stable_id
from cloudtap.sandbox.runtime import RunningSandbox
from cloudtap.sandbox.services.content import history as gen
from cloudtap.sandbox.services.content.rng import day_start, today
from tests.icloud.client.conftest import connector, requests_made, sandbox, transport
from tests.icloud.datatypes.sandbox_session import (
    from_ms,
    items,
    moment,
    session,
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
    state = await session(connector, ACCOUNT)
    published = await items(connector, state, "cloudkit_safari.history")
    assert len(published) == len(expected) == spec.history
    for item in published:
        assert {**item, "date": moment(item["date"])} == expected[item["id"]], item["id"]
    # The world keeps a year of history (Safari's longest automatic setting) and spans it.
    dates = [v.visit_time for v in world]
    window = timedelta(days=gen.RETENTION_DAYS)
    assert now - window <= min(dates) < now - window + timedelta(days=2) and max(dates) <= now
    # The world holds every case this test is meant to cover.
    assert any(v.title is None for v in world) and any(not v.load_successful for v in world)
    assert any(not v.url.isascii() for v in world)
    assert any(v.title and "東京" in v.title for v in world)
