"""Calendar polls with ranges at the ends of the calendar, through HTTP and the real client.

A poll may name any date-time ISO 8601 allows. None of them may end in ``internal-error``,
and an unbounded range must not turn into thousands of ``/ca/events`` requests.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest

from tests.api.live_sandbox import LiveAPI, live_api  # noqa: F401

CALENDAR = ["mme_calendar.events"]


def _items(poll: dict[str, Any]) -> list[dict[str, Any]]:
    result = poll["results"]["data"][0]
    return list(json.loads(Path(result["url"].removeprefix("local://")).read_bytes())["data"])


def _calendar_requests(live: LiveAPI, since: int) -> int:
    return sum(1 for e in live.sandbox.exchanges()[since:] if e.path == "/ca/events")


@pytest.mark.parametrize(
    "dates",
    [
        {"since": "0002-01-01T00:00:00Z", "until": "9999-12-31T23:59:59Z"},
        {"since": "0001-01-01T00:00:00+14:00"},
        {"until": "9999-12-31T23:59:59-12:00"},
        {"filters": {"since": "0001-01-01T00:00:00Z", "until": "9999-12-31T23:59:59.999999Z"}},
    ],
)
def test_the_ends_of_the_calendar_complete_with_few_requests(
    live: LiveAPI, dates: dict[str, Any]
) -> None:
    session = live.active_session("rich")
    before = len(live.sandbox.exchanges())
    started = time.monotonic()
    poll = live.poll(session["id"], {"data_types": CALENDAR, **dates})
    elapsed = time.monotonic() - started
    assert poll["state"] == "completed", poll
    assert poll["errors"]["data"] == []
    assert _items(poll)  # the world's events are all inside the range
    assert _calendar_requests(live, before) <= 400
    assert elapsed < 120


def test_a_range_of_years_lists_what_a_default_poll_lists(live: LiveAPI) -> None:
    session = live.active_session("rich")
    default = {i["id"] for i in _items(live.poll(session["id"], {"data_types": CALENDAR}))}
    dates = {"since": "1990-01-01T00:00:00Z", "until": "2100-01-01T00:00:00Z"}
    wide = {i["id"] for i in _items(live.poll(session["id"], {"data_types": CALENDAR, **dates}))}
    assert default and default <= wide
