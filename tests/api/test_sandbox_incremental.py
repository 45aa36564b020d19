"""Incremental photo polls: what a repeat poll costs in Apple requests (counted at the
sandbox's proxy), with ``since`` alone and with the listing cursor the job layer keeps."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from cloudtap.sandbox.proxy import Exchange
from tests.api.live_sandbox import LiveAPI, live_api  # noqa: F401

pytest.importorskip("cloudtap.sandbox.runtime")


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
