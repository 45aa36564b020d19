"""Apple throttling (the sandbox's throttle knob: 503 + Retry-After) slows a poll down
instead of failing it: throttled tasks wait as Retry-After says and try again, within
``CLOUDTAP_THROTTLE_RETRY_BUDGET``; only past that do they fail with ``rate-limited``."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import logging
from pathlib import Path
from typing import Any

import pytest

from cloudtap.config import set_settings
from cloudtap.icloud.files import batch_chunks
from cloudtap.sandbox import faults
from cloudtap.sandbox.accounts.model import FaultSpec
from tests.api.live_sandbox import LiveAPI, apple_id, live_api  # noqa: F401
from tests.api.sandbox_bytes import photo_bytes

FILES = 8
# A throttle "minute" of a few seconds keeps the test short; the knob works as ever.
WINDOW_SECONDS = 4.0


def _throttle(live: LiveAPI, name: str, per_window: int) -> None:
    world = live.sandbox.world
    key = apple_id(name)
    world.accounts[key] = dataclasses.replace(
        world.accounts[key], faults=FaultSpec(throttle_per_minute=per_window)
    )


def _photo_file_ids(live: LiveAPI, session_id: str) -> list[str]:
    listing = live.poll(session_id, {"data_types": ["icpl.photos"]})
    [result] = listing["results"]["data"]
    items = json.loads(Path(result["url"].removeprefix("local://")).read_bytes())["data"]
    return [item["files"][0]["id"] for item in items[:FILES]]


def test_file_poll_under_throttling_completes_every_task(
    live: LiveAPI, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(faults, "THROTTLE_WINDOW", WINDOW_SECONDS)
    session = live.active_session("rich")
    file_ids = _photo_file_ids(live, session["id"])
    assert len(file_ids) == FILES
    # A batch looks records up 100 at a time: one record per lookup here, so that the
    # throttle (which counts the account's CloudKit calls) is reached with 8 files.
    monkeypatch.setattr(batch_chunks, "PHOTO_LOOKUP", 1)
    _throttle(live, "rich", per_window=2)
    with caplog.at_level(logging.INFO, logger="cloudtap.jobs.settling"):
        poll = live.poll(session["id"], {"files": file_ids})
    assert poll["state"] == "completed"
    assert poll["errors"]["data"] == []
    assert len(poll["tasks_succeeded"]) == FILES
    # Apple did throttle: some tasks waited and tried again.
    assert any("throttled" in record.getMessage() for record in caplog.records)
    _throttle(live, "rich", per_window=0)  # the byte check below asks the sandbox too
    for result in poll["results"]["data"]:
        expected = photo_bytes(live.sandbox, apple_id("rich"), result["identifier"])
        assert result["checksum"] == hashlib.md5(expected).hexdigest()


def test_throttling_past_the_budget_fails_with_rate_limited(live: LiveAPI) -> None:
    set_settings(dataclasses.replace(live.settings, throttle_retry_budget_seconds=0))
    session = live.active_session("no2fa")
    # One request a minute: the poll's session check takes it, then Apple answers 503.
    _throttle(live, "no2fa", per_window=1)
    poll: dict[str, Any] = live.poll(
        session["id"],
        {"data_types": ["icpl.photos"], "info_types": ["icloud.account.data_types"]},
    )
    failed = {e["target"]: e["error"] for e in poll["errors"]["data"]}
    assert failed == {"icpl.photos": "rate-limited"}
    assert [r["identifier"] for r in poll["results"]["data"]] == ["icloud.account.data_types"]
