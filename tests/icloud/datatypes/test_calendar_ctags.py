"""``mme_calendar.changes``: "nothing changed" only when Apple names the same calendars
with the cursor's ctags; anything else (a changed, missing or absent ctag, a calendar
added or gone, no calendars at all, no ctags kept) is no answer, so the window is listed
again and compared with the digests. ``/ca/allcollections`` is our own edge, faked here."""

from __future__ import annotations

from typing import Any

import pytest

from cloudtap.icloud.datatypes import mme_calendar
from cloudtap.icloud.services.calendar import Calendars

KEPT = {mme_calendar.CTAGS_KEY: {"C1": "t1", "C2": "t2"}}


async def changes(monkeypatch: pytest.MonkeyPatch, cursor: Any, ctags: dict[str, Any]) -> Any:
    async def calendars(client: object) -> Calendars:
        return Calendars(titles={g: g for g in ctags}, ctags=ctags)

    monkeypatch.setattr(mme_calendar.service, "calendars", calendars)
    return await mme_calendar.changes(object(), cursor)  # type: ignore[arg-type]


async def test_the_same_ctags_are_no_change(monkeypatch: pytest.MonkeyPatch) -> None:
    found = await changes(monkeypatch, KEPT, {"C1": "t1", "C2": "t2"})
    assert (found.items, found.removed, found.cursor) == ([], [], KEPT)


@pytest.mark.parametrize(
    ("cursor", "ctags"),
    [
        (KEPT, {"C1": "t1", "C2": "t3"}),  # an event of C2 changed
        (KEPT, {"C1": "t1"}),  # a calendar gone
        (KEPT, {"C1": "t1", "C2": "t2", "C3": "t9"}),  # a calendar added
        (KEPT, {"C1": "t1", "C2": None}),  # a ctag not sent: unknown, not unchanged
        (KEPT, {}),  # no calendars at all: never read as "nothing changed"
        ({}, {"C1": "t1"}),  # a cursor from before ctags were kept
        ({mme_calendar.CTAGS_KEY: {}}, {}),
    ],
)
async def test_anything_else_lists_the_window_again(
    monkeypatch: pytest.MonkeyPatch, cursor: Any, ctags: dict[str, Any]
) -> None:
    assert await changes(monkeypatch, cursor, ctags) is None
