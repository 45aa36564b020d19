"""A poll payload's date filters: where they may be, what they parse to, what is refused."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from cloudtap.jobs.poll_filters import InvalidFilter, filters_of


def test_canonical_and_shorthand_places_agree() -> None:
    nested = filters_of({"filters": {"since": "2026-01-02T03:04:05Z"}})
    top = filters_of({"since": "2026-01-02T03:04:05Z"})
    assert nested == top
    assert nested.since == datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)


def test_offsets_are_kept_and_naive_times_are_utc() -> None:
    with_offset = filters_of({"until": "2026-01-02T05:04:05+02:00"}).until
    assert with_offset == datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
    assert with_offset.utcoffset() == timedelta(hours=2)
    naive = filters_of({"until": "2026-01-02T03:04:05"}).until
    assert naive == datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)


def test_nothing_given_means_no_filter() -> None:
    empty = filters_of({"filters": None, "since": ""})
    assert (empty.since, empty.until, empty.cursor) == (None, None, None)


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"since": "yesterday"}, "payload.since"),
        ({"filters": {"until": 5}}, "payload.filters.until"),
        ({"filters": ["since"]}, "payload.filters"),
        (
            {"since": "2026-01-01T00:00:00Z", "filters": {"since": "2026-02-01T00:00:00Z"}},
            "payload.since",
        ),
        ({"since": "2026-02-01T00:00:00Z", "until": "2026-01-01T00:00:00Z"}, "payload.until"),
    ],
)
def test_refused_with_the_offending_field(payload: dict[str, Any], field: str) -> None:
    with pytest.raises(InvalidFilter) as caught:
        filters_of(payload)
    assert caught.value.field == field


def test_instants_beyond_the_utc_calendar_are_its_ends() -> None:
    east = filters_of({"since": "0001-01-01T00:00:00+14:00"}).since
    west = filters_of({"until": "9999-12-31T23:59:59-12:00"}).until
    assert east == datetime.min.replace(tzinfo=UTC)
    assert west == datetime.max.replace(tzinfo=UTC)
