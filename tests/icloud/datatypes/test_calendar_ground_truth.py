"""``mme_calendar.events`` against the sandbox world's own values, through the real TLS proxy.

Every field cloudtap publishes is compared with what the event generator
(``cloudtap.sandbox.services.content.events.source``) says the event *is* — never with what
the sandbox put on the wire — so a misread wire shape cannot hide behind a matching one.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

import pytest

from cloudtap.icloud.client.connector import ICloudConnector
from cloudtap.icloud.connector import Filters, JSONDict, TransportOptions
from cloudtap.icloud.datatypes.common import stable_id
from cloudtap.sandbox.runtime import RunningSandbox
from cloudtap.sandbox.services.content import events as world_events
from tests.icloud.datatypes.sandbox_session import items, session, world_account
from tests.support.sandbox import live_sandbox


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningSandbox]:
    with live_sandbox(tmp_path_factory.mktemp("calendar-ground-truth")) as running:
        yield running


def world_sources(sandbox: RunningSandbox, lo: datetime, hi: datetime) -> list[Any]:
    spec = world_account(sandbox, "rich").content
    return [world_events.source(spec, o) for o in world_events.occurrences_between(spec, lo, hi)]


async def published(connector: ICloudConnector, since: datetime, until: datetime) -> list[JSONDict]:
    state = await session(connector, "rich")
    return await items(connector, state, "mme_calendar.events", Filters(since=since, until=until))


def expected_item(src: Any) -> dict[str, Any]:
    """What the item must say, from the world's values alone."""
    return {
        "id": stable_id("event", src.guid),
        "data_type": "mme_calendar.event",
        "event_guid": src.guid,
        "calendar": src.calendar_title,
        "calendar_id": src.calendar_guid,
        "title": src.title,
        "location": src.location or None,
        "notes": src.notes or None,
        "url": src.url or None,
        "time_zone": src.zone,
        "all_day": src.all_day,
        "busy": src.busy,
        "read_only": False,
        "recurrence": None
        if src.recurrence is None
        else {
            "frequency": src.recurrence[0],
            "interval": src.recurrence[1],
            "count": src.recurrence[2],
            "until": None,
        },
        "attendees": [
            {
                "name": a.name,
                "email": a.email,
                "status": a.status,
                "organiser": a.organiser,
                "role": "REQ-PARTICIPANT",
            }
            for a in src.attendees
        ],
        "alarms": [] if src.alarm_minutes is None else [{"minutes_before": src.alarm_minutes}],
    }


def check_times(item: JSONDict, src: Any) -> None:
    if src.all_day:
        assert item["start"] == src.start.date().isoformat()
        assert item["end"] == src.end.date().isoformat()  # exclusive, as in iCalendar
        return
    start, end = datetime.fromisoformat(item["start"]), datetime.fromisoformat(item["end"])
    assert start == src.start, (item["title"], item["start"], src.start.isoformat())
    assert end == src.end, (item["title"], item["end"], src.end.isoformat())
    # Shown in the event's own zone: the offset it had at that moment (DST included).
    assert start.utcoffset() == src.start.utcoffset()
    assert end.utcoffset() == src.end.utcoffset()


@pytest.fixture(scope="module")
def window() -> tuple[datetime, datetime]:
    win = world_events.window()
    return win.start - timedelta(days=10), win.end + timedelta(days=10)


async def test_every_event_matches_the_world(
    sandbox: RunningSandbox, window: tuple[datetime, datetime]
) -> None:
    connector = ICloudConnector(
        TransportOptions(proxy_url=sandbox.proxy_url, ca_file=str(sandbox.ca_file))
    )
    since, until = window
    items = await published(connector, since, until)
    sources = world_sources(sandbox, since, until)
    by_id = {i["id"]: i for i in items}
    assert len(by_id) == len(items)
    wanted = {stable_id("event", s.guid): s for s in sources}
    assert set(by_id) == set(wanted)
    for item_id, src in wanted.items():
        item = by_id[item_id]
        expected = expected_item(src)
        assert {k: item.get(k) for k in expected} == expected
        check_times(item, src)
        assert set(item) == {*expected, "start", "end"}  # nothing published unchecked

    # The world covers what the comparison must cover.
    timed = [s for s in sources if not s.all_day]
    offsets = {s.start.utcoffset() for s in timed}
    assert any(o < timedelta(0) for o in offsets) and any(o > timedelta(0) for o in offsets)
    assert any(o.seconds % 3600 for o in offsets if o is not None)  # half-hour zones
    assert any(s.all_day for s in sources) and any(s.url for s in sources)
    assert any(not s.title.isascii() for s in sources)
    assert any(s.location is None for s in sources) and any(s.location == "" for s in sources)
    series: dict[str, set[Any]] = {}
    for s in sources:
        if s.recurrence is not None:
            series.setdefault(s.master, set()).add(s.start.utcoffset())
    assert any(len(o) > 1 for o in series.values())  # a series across a DST change
