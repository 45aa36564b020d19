"""Unmodified pyicloud 2026.10.1 and cloudtap read one sandbox calendar over more than three
years and agree on every event: the same events, titles, calendars, all-day flags, and
start/end moments (pyicloud's read in the zone it asked in, cloudtap's in the event's own).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from cloudtap.icloud.client.connector import ICloudConnector
from cloudtap.icloud.connector import Credentials, Filters, TransportOptions
from cloudtap.icloud.datatypes.common import stable_id
from cloudtap.sandbox.accounts.scenarios import PASSWORD
from cloudtap.sandbox.runtime import RunningSandbox
from tests.icloud.differential.conftest import pyicloud_view

pytestmark = pytest.mark.compat

RICH = "rich@sandbox.cloudtap.dev"
FIRST = (datetime.now(UTC) - timedelta(days=4 * 366)).date()
LAST = (datetime.now(UTC) + timedelta(days=200)).date()


async def cloudtap_items(sandbox: RunningSandbox) -> dict[str, dict[str, Any]]:
    connector = ICloudConnector(
        TransportOptions(proxy_url=sandbox.proxy_url, ca_file=str(sandbox.ca_file))
    )
    outcome = await connector.login(Credentials(RICH, PASSWORD), None)
    assert outcome.state == "active" and outcome.session_state
    since = datetime(FIRST.year, FIRST.month, FIRST.day, tzinfo=UTC)
    until = datetime(LAST.year, LAST.month, LAST.day, tzinfo=UTC)
    items = connector.fetch_items(
        outcome.session_state, "mme_calendar.events", Filters(since=since, until=until)
    )
    return {i["id"]: i async for i in items}


def same_moment(theirs: str, ours: str, all_day: bool) -> bool:
    if all_day:
        return theirs == ours
    return datetime.fromisoformat(theirs) == datetime.fromisoformat(ours)


@pytest.mark.parametrize("zone", ["UTC", "Asia/Kolkata"])
async def test_pyicloud_and_cloudtap_agree_on_every_event(
    pyicloud_venv: Path, sandbox: RunningSandbox, tmp_path: Path, zone: str
) -> None:
    args = [RICH, PASSWORD, str(tmp_path / "cookies"), FIRST.isoformat(), LAST.isoformat(), zone]
    view = pyicloud_view(pyicloud_venv, "pyicloud_calendar.py", args, sandbox, tmp_path)
    assert view["usertz"] == zone
    theirs = {stable_id("event", e["guid"]): e for e in view["events"]}
    assert len(theirs) == len(view["events"]) > 1_000  # one request, > 3 years: answered
    ours = await cloudtap_items(sandbox)
    if zone == "UTC":  # the same days asked: the same events
        assert set(theirs) == set(ours)
    shared = set(theirs) & set(ours)
    assert len(shared) > 0.95 * len(theirs)
    for key in shared:
        e, i = theirs[key], ours[key]
        assert (e["title"], e["calendar"], e["all_day"]) == (
            i["title"],
            i["calendar"],
            i["all_day"],
        )
        assert same_moment(e["start"], i["start"], e["all_day"]), (e, i)
        assert same_moment(e["end"], i["end"], e["all_day"]), (e, i)
