"""Every shape of Apple's ``/ca/events`` dates the public evidence shows, read to the true moment.

``startDate``/``endDate`` are wall-clock times in the event's zone (``tz``; some clients
type a ``tzname`` and a ``startDateTZOffset`` beside it); ``localStartDate`` /
``localEndDate`` the same moments in the ``usertz`` the request named (cloudtap asks in
UTC). All-day events are floating dates. Sources: docs/apple-evidence.md, Calendar.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest

from cloudtap.icloud.datatypes import mme_calendar
from cloudtap.icloud.services.calendar import EventBatch

# 20:00-21:30 in Los Angeles on 2025-06-10 (PDT, -07:00) is 03:00-04:30 UTC on the 11th.
LA_START = ["20250610", 2025, 6, 10, 20, 0, 1200]
LA_END = ["20250610", 2025, 6, 10, 21, 30, 150]
UTC_START = ["20250611", 2025, 6, 11, 3, 0, 180]
UTC_END = ["20250611", 2025, 6, 11, 4, 30, 1170]
TRUE_START = datetime.fromisoformat("2025-06-11T03:00:00+00:00")
TRUE_END = datetime.fromisoformat("2025-06-11T04:30:00+00:00")


def item(**event: Any) -> dict[str, Any]:
    return mme_calendar.to_item({"guid": "E1", "pGuid": "C1", **event}, EventBatch(), {})


def moments(it: dict[str, Any]) -> tuple[datetime, datetime]:
    return datetime.fromisoformat(it["start"]), datetime.fromisoformat(it["end"])


@pytest.mark.parametrize(
    "event",
    [
        # What the sandbox sends (and what clients that read localStartDate rely on).
        {
            "tz": "America/Los_Angeles",
            "startDate": LA_START,
            "endDate": LA_END,
            "localStartDate": UTC_START,
            "localEndDate": UTC_END,
            "duration": 90,
        },
        # No local pair: the zone-local pair with its ``tz``.
        {"tz": "America/Los_Angeles", "startDate": LA_START, "endDate": LA_END},
        # The zone only as ``tzname``.
        {"tzname": "America/Los_Angeles", "startDate": LA_START, "endDate": LA_END},
        # No end: ``duration`` minutes.
        {"tz": "America/Los_Angeles", "startDate": LA_START, "duration": 90},
        # Only the local pair (in our ``usertz``, UTC) and the zone.
        {"tz": "America/Los_Angeles", "localStartDate": UTC_START, "localEndDate": UTC_END},
    ],
)
def test_zoned_events_give_the_true_moment_in_their_own_zone(event: dict[str, Any]) -> None:
    it = item(**event)
    start, end = moments(it)
    assert (start, end) == (TRUE_START, TRUE_END)
    assert it["start"] == "2025-06-10T20:00:00-07:00" and it["end"] == "2025-06-10T21:30:00-07:00"
    assert it["time_zone"] == "America/Los_Angeles"


@pytest.mark.parametrize("offset", ["-07:00", "-0700", "GMT-07:00", "UTC-7"])
def test_an_offset_without_a_known_zone(offset: str) -> None:
    it = item(tz="Not/AZone", startDateTZOffset=offset, startDate=LA_START, endDate=LA_END)
    assert moments(it) == (TRUE_START, TRUE_END)
    assert it["start"] == "2025-06-10T20:00:00-07:00"
    assert it["time_zone"] is None


def test_a_zone_less_event_with_the_local_pair_is_read_in_usertz() -> None:
    it = item(startDate=LA_START, localStartDate=UTC_START, localEndDate=UTC_END)
    assert moments(it) == (TRUE_START, TRUE_END)


@pytest.mark.parametrize("tz", ["Floating", None, ""])
def test_floating_timed_events_stay_wall_clock(tz: str | None) -> None:
    it = item(tz=tz, startDate=LA_START, endDate=LA_END)
    assert it["start"] == "2025-06-10T20:00:00" and it["end"] == "2025-06-10T21:30:00"
    assert it["time_zone"] is None


@pytest.mark.parametrize("tz", ["Floating", None, "Europe/Berlin"])
def test_all_day_events_are_dates_not_shifted_by_any_zone(tz: str | None) -> None:
    it = item(
        tz=tz,
        allDay=True,
        startDate=["20250301", 2025, 3, 1, 0, 0, 0],
        endDate=["20250303", 2025, 3, 3, 0, 0, 0],
        localStartDate=["20250301", 2025, 3, 1, 0, 0, 0],
        localEndDate=["20250303", 2025, 3, 3, 0, 0, 0],
        duration=2880,
    )
    assert (it["start"], it["end"], it["all_day"]) == ("2025-03-01", "2025-03-03", True)


def test_an_all_day_event_without_an_end_uses_duration() -> None:
    it = item(allDay=True, startDate=["20250301", 2025, 3, 1, 0, 0, 0], duration=2880)
    assert (it["start"], it["end"]) == ("2025-03-01", "2025-03-03")


@pytest.mark.parametrize("duration", [None, 0, 1440])
def test_an_all_day_end_on_its_start_day_is_read_as_inclusive(duration: int | None) -> None:
    day = ["20250301", 2025, 3, 1, 0, 0, 0]
    it = item(allDay=True, startDate=day, endDate=day, duration=duration)
    assert (it["start"], it["end"]) == ("2025-03-01", "2025-03-02")


def test_a_repeated_hour_is_settled_by_the_local_pair() -> None:
    # 01:30 happens twice in Los Angeles on 2025-11-02; the UTC pair says which one.
    second = ["20251102", 2025, 11, 2, 9, 30, 570]  # 01:30 PST = 09:30 UTC
    it = item(
        tz="America/Los_Angeles",
        startDate=["20251102", 2025, 11, 2, 1, 30, 90],
        localStartDate=second,
        duration=30,
    )
    assert datetime.fromisoformat(it["start"]) == datetime.fromisoformat("2025-11-02T09:30Z")
    assert it["start"] == "2025-11-02T01:30:00-08:00"


def test_unreadable_dates_are_null_not_fatal() -> None:
    it = item(tz="America/Los_Angeles", startDate=["x", "y"], endDate="nope", duration="long")
    assert it["start"] is None and it["end"] is None
