"""Incremental photo polls: what a repeat poll costs in Apple requests (counted at the
sandbox's proxy), with ``since`` alone and with the listing cursor the job layer keeps."""

from __future__ import annotations

import itertools
import json
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import update

from cloudtap.jobs.polls import SESSION_CHECK_INTERVAL
from cloudtap.sandbox.accounts.model import GeneratedLibrary
from cloudtap.sandbox.photos import generator
from cloudtap.sandbox.proxy import Exchange
from cloudtap.store.db import transaction
from cloudtap.store.ids import utcnow
from cloudtap.store.models import Poll
from tests.api.live_sandbox import LiveAPI, apple_id, live_api  # noqa: F401


def _items(poll: dict[str, Any]) -> list[dict[str, Any]]:
    [result] = poll["results"]["data"]
    return json.loads(Path(result["url"].removeprefix("local://")).read_bytes())["data"]


def _photos_poll(
    live: LiveAPI, session_id: str, **dates: str
) -> tuple[dict[str, Any], list[Exchange]]:
    """A photos poll and the Apple requests it made."""
    before = len(live.sandbox.exchanges())
    poll = live.poll(session_id, {"data_types": ["icpl.photos"], **dates})
    assert poll["state"] == "completed" and poll["errors"]["data"] == [], poll["errors"]
    return poll, live.sandbox.exchanges()[before:]


def _now() -> str:
    time.sleep(0.01)  # strictly after the last listing started
    return datetime.now(UTC).isoformat()


def _check_incremental(live: LiveAPI, name: str, expected_count: int) -> None:
    session = live.active_session(name)
    first, _ = _photos_poll(live, session["id"])
    assert len(_items(first)) == expected_count

    # `since` = when the first poll was made: newest page only, stopping at `since`.
    second, calls = _photos_poll(live, session["id"], since=first["date_created"])
    assert _items(second) == []
    print("since-only requests:", [(c.method, c.path) for c in calls])
    assert len(calls) <= 3, calls

    # `since` after the last listing started: the kept cursor asks for changes only.
    third, calls = _photos_poll(live, session["id"], since=_now())
    assert _items(third) == []
    print("cursor requests:", [(c.method, c.path) for c in calls])
    assert 1 <= len(calls) <= 2, calls
    assert all(c.path.endswith("/changes/zone") for c in calls), calls

    # Without `since` a poll wants everything: the cursor must not narrow it.
    fourth, _ = _photos_poll(live, session["id"])
    assert len(_items(fourth)) == expected_count


def test_repeat_photo_polls_cost_a_few_requests(live: LiveAPI) -> None:
    _check_incremental(live, "no2fa", 38)  # 40 minus 2 hidden


@pytest.mark.slow
def test_repeat_photo_polls_on_a_100k_library(live: LiveAPI) -> None:
    _check_incremental(live, "photos-100k", 95_000)


def _uploaded(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, tz=UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def test_since_after_318_uploads_on_a_10k_library_returns_exactly_them(live: LiveAPI) -> None:
    """More new assets than one page: the newest-first walk must cross pages."""
    account = live.sandbox.world.account(apple_id("photos-10k"))
    assert account is not None
    library = account.photos
    assert isinstance(library, GeneratedLibrary) and library.count == 10_000
    # The world's own values: visible assets of PrimarySync, newest upload first.
    newest = (
        generator.asset(library.seed, "PrimarySync", i)
        for i in range(library.count)
        if not generator.is_hidden(library.seed, i)
    )
    world = [next(newest) for _ in range(319)]
    assert all(a.added_date_ms > b.added_date_ms for a, b in itertools.pairwise(world))
    since = datetime.fromtimestamp(world[318].added_date_ms / 1000, tz=UTC)

    session = live.active_session("photos-10k")
    poll, calls = _photos_poll(live, session["id"], since=since.isoformat())
    got = sorted((i["filename"], i["date_uploaded"]) for i in _items(poll))
    assert got == sorted((a.filename, _uploaded(a.added_date_ms)) for a in world[:318])
    queries = [c for c in calls if c.path.endswith("/records/query")]
    assert len(queries) <= 6, [(c.method, c.path) for c in calls]  # 4 pages, not 100


def test_a_no_change_repeat_after_a_long_listing_is_one_request(live: LiveAPI) -> None:
    """A listing that ran longer than the session-check interval (a million photos take
    half an hour) used the session until it completed: its no-change repeat right after
    asks Apple only for the zone's changes, with no session check before it."""
    session = live.active_session("no2fa")
    first, _ = _photos_poll(live, session["id"])
    started_long_ago = utcnow() - SESSION_CHECK_INTERVAL - timedelta(minutes=1)
    with transaction(live.settings.database_url) as db:
        db.execute(update(Poll).where(Poll.id == first["id"]).values(date_started=started_long_ago))
    repeat, calls = _photos_poll(live, session["id"], since=_now())
    assert _items(repeat) == []
    assert [c.path.rsplit("/", 2)[-2:] for c in calls] == [["changes", "zone"]], calls
