"""The calendar client asks Apple one calendar month at a time, up to the calendar's ends."""

from __future__ import annotations

from datetime import UTC, date, datetime

from cloudtap.icloud.datatypes.mme_calendar import MAX_FUTURE_YEARS, MAX_PAST_YEARS, listed_days
from cloudtap.icloud.services.calendar import months


def test_months_cut_at_month_ends_and_cover_every_day() -> None:
    spans = list(months(date(2024, 1, 15), date(2024, 3, 2)))
    assert spans == [
        (date(2024, 1, 15), date(2024, 1, 31)),
        (date(2024, 2, 1), date(2024, 2, 29)),
        (date(2024, 3, 1), date(2024, 3, 2)),
    ]
    assert list(months(date(2024, 3, 2), date(2024, 3, 1))) == []


def test_the_last_month_of_the_calendar_ends() -> None:
    assert list(months(date(9999, 12, 1), date.max)) == [(date(9999, 12, 1), date.max)]


def test_unbounded_filters_are_capped_around_today() -> None:
    today = date(2026, 2, 28)
    first, last = listed_days(
        datetime.min.replace(tzinfo=UTC), datetime.max.replace(tzinfo=UTC), today
    )
    assert first == date(2026 - MAX_PAST_YEARS, 2, 28)
    assert last == date(2026 + MAX_FUTURE_YEARS, 2, 28)
    assert len(list(months(first, last))) <= 12 * (MAX_PAST_YEARS + MAX_FUTURE_YEARS) + 1


def test_instants_no_utc_date_can_hold_are_the_calendar_ends() -> None:
    east = datetime.fromisoformat("0001-01-01T00:00:00+14:00")
    west = datetime.fromisoformat("9999-12-31T23:59:00-12:00")
    first, last = listed_days(east, west, date(2026, 6, 1))
    assert (first.year, last.year) == (2026 - MAX_PAST_YEARS, 2026 + MAX_FUTURE_YEARS)
