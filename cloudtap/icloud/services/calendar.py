"""iCloud Calendar (``calendar`` → ``/ca/*``), read-only.

``/ca/allcollections`` names the calendars; ``/ca/events`` answers a date range (end
inclusive, dates in ``usertz``) with events plus the sidecar ``Alarm``, ``Invitee`` and
``Recurrence`` lists they reference. Ranges are asked one calendar month at a time, as
Apple's web UI and pyicloud's default do: one public client reports that Apple answers
longer ranges with no events at all (see docs/apple-evidence.md, Calendar).
"""

from __future__ import annotations

from calendar import monthrange
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from cloudtap.icloud import errors
from cloudtap.icloud.client.apple import AppleClient
from cloudtap.icloud.replies import service_json

USER_TZ = "UTC"


@dataclass
class EventBatch:
    """One ``/ca/events`` reply: events, and their sidecar records by guid."""

    events: list[dict[str, Any]] = field(default_factory=list)
    alarms: dict[str, dict[str, Any]] = field(default_factory=dict)
    invitees: dict[str, dict[str, Any]] = field(default_factory=dict)
    recurrences: dict[str, dict[str, Any]] = field(default_factory=dict)

    @classmethod
    def from_reply(cls, body: dict[str, Any]) -> EventBatch:
        def by_guid(key: str) -> dict[str, dict[str, Any]]:
            return {str(r.get("guid")): r for r in body.get(key) or [] if isinstance(r, dict)}

        return cls(
            events=[e for e in body.get("Event") or [] if isinstance(e, dict)],
            alarms=by_guid("Alarm"),
            invitees=by_guid("Invitee"),
            recurrences=by_guid("Recurrence"),
        )


def _root(client: AppleClient) -> str:
    root = client.session.service_url("calendar")
    if not root:
        raise errors.ServiceDisabled("Calendar is not available for this account")
    return root.rstrip("/")


async def _get(client: AppleClient, url: str, params: dict[str, str]) -> dict[str, Any]:
    response = await client.service("GET", url, params=params)
    return service_json(response, "calendar", "Calendar")


@dataclass(frozen=True)
class Calendars:
    """``/ca/allcollections``: each calendar's title and ``ctag`` (None when not sent)."""

    titles: dict[str, str]
    ctags: dict[str, str | None]


async def calendars(client: AppleClient) -> Calendars:
    body = await _get(
        client, f"{_root(client)}/ca/allcollections", {"lang": "en-us", "usertz": USER_TZ}
    )
    found = [c for c in body.get("Collection") or [] if isinstance(c, dict)]
    return Calendars(
        titles={str(c.get("guid")): str(c.get("title") or "") for c in found},
        ctags={str(c.get("guid")): str(c["ctag"]) if c.get("ctag") else None for c in found},
    )


def months(first: date, last: date) -> Iterator[tuple[date, date]]:
    """[first, last] cut at month ends: the span Apple's web UI and pyicloud ask at a time."""
    start = first
    while start <= last:
        month_end = date(start.year, start.month, monthrange(start.year, start.month)[1])
        end = min(last, month_end)
        yield start, end
        if end == date.max:
            return
        start = end + timedelta(days=1)


async def event_batches(client: AppleClient, first: date, last: date) -> AsyncIterator[EventBatch]:
    root = _root(client)
    for start, end in months(first, last):
        body = await _get(
            client,
            f"{root}/ca/events",
            {
                "lang": "en-us",
                "usertz": USER_TZ,
                "startDate": start.isoformat(),
                "endDate": end.isoformat(),
            },
        )
        yield EventBatch.from_reply(body)
