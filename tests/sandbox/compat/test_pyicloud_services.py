"""Unmodified pyicloud 2026.10.1, through the live proxy: Find My (locations appear on a
refresh), contacts, a month of calendar events, notes with readable bodies and
downloadable attachments, account."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from cloudtap.config import Settings
from cloudtap.sandbox.accounts.scenarios import PASSWORD
from cloudtap.sandbox.photos import media
from cloudtap.sandbox.runtime import RunningSandbox, start_sandbox
from cloudtap.sandbox.services.content import note_files
from cloudtap.sandbox.services.content.notes import is_locked
from cloudtap.sandbox.services.findmy import DELAY_ENV
from tests.sandbox.compat.conftest import run_driver

pytestmark = pytest.mark.compat

RICH = "rich@sandbox.cloudtap.dev"
LOCATE_DELAY = "0.5-1.5"  # the 10-30 s of real Find My, shrunk so the test stays quick
LOCATE_WAIT = "2"


@pytest.fixture(scope="module")
def fast_locate_sandbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningSandbox]:
    data_dir = tmp_path_factory.mktemp("sandbox-services")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv(DELAY_ENV, LOCATE_DELAY)  # read when the Find My host is built
        running = start_sandbox(Settings.from_env({"CLOUDTAP_DATA_DIR": str(data_dir)}))
    try:
        yield running
    finally:
        running.close()


@pytest.fixture(scope="module")
def seen(
    pyicloud_venv: Path,
    fast_locate_sandbox: RunningSandbox,
    tmp_path_factory: pytest.TempPathFactory,
) -> dict[str, Any]:
    home = tmp_path_factory.mktemp("pyicloud-home")
    args = [RICH, PASSWORD, str(home / "cookies"), LOCATE_WAIT]
    return run_driver(pyicloud_venv, "pyicloud_services.py", args, fast_locate_sandbox, home)


def test_find_my_locations_appear_on_refresh(
    seen: dict[str, Any], fast_locate_sandbox: RunningSandbox
) -> None:
    find_my = seen["find_my"]
    account = fast_locate_sandbox.world.account(RICH)
    assert account is not None
    assert find_my["located_at_first"] == 0
    devices = find_my["devices"]
    assert len(devices) > account.content.devices  # the family's devices too
    located = [d for d in devices if d["location"]]
    assert located and all(-90 <= d["location"]["latitude"] <= 90 for d in located)
    assert {"iPhone", "iPad", "Watch", "Accessory"} <= {d["class"] for d in devices}
    assert any(d["battery"] and d["status"] != "Unknown" for d in devices)
    assert find_my["members"] == account.content.family_members


def test_contacts(seen: dict[str, Any], fast_locate_sandbox: RunningSandbox) -> None:
    account = fast_locate_sandbox.world.account(RICH)
    assert account is not None
    contacts = seen["contacts"]
    assert contacts["count"] == account.content.contacts
    assert contacts["with_photo"] >= 100
    assert contacts["first"]["firstName"] and contacts["first"]["phones"]
    assert contacts["me"] == account.full_name


def test_calendar_events_for_this_month(seen: dict[str, Any]) -> None:
    calendar = seen["calendar"]
    assert calendar["count"] >= 10
    assert calendar["all_day"] >= 1
    assert len(calendar["zones"]) >= 2
    assert all(d > 0 for d in calendar["object_durations"])
    assert {"Home", "Work"} <= set(calendar["calendars"])
    assert calendar["detail_title"] == calendar["first_title"]


def test_notes_with_readable_bodies(
    seen: dict[str, Any], fast_locate_sandbox: RunningSandbox
) -> None:
    notes = seen["notes"]
    account = fast_locate_sandbox.world.account(RICH)
    assert account is not None
    assert notes["recent_count"] == 30
    assert notes["recent_times"] == sorted(notes["recent_times"], reverse=True)
    assert notes["text"].startswith(notes["title"]) and len(notes["text"]) > len(notes["title"])
    assert {"Notes", "Recently Deleted"} <= set(notes["folders"]) and notes["nested"] >= 1
    assert notes["folder_name"]
    assert notes["attachments"] and notes["attachments"][0]["uti"]
    for attachment in notes["attachments"]:  # pyicloud downloads them, byte-exact
        # The world's bytes: the file, or a drawing's picture (pyicloud's preview_url).
        file = note_files.by_name(account.content, attachment["id"])
        assert file is not None
        expected = media.join(note_files.pieces(file))
        drawing = attachment["uti"] == "com.apple.paper"  # its record has no size field
        assert attachment["size"] == (None if drawing else len(expected))
        assert attachment["md5"] == hashlib.md5(expected).hexdigest()
    assert notes["locked_error"] == "NoteLockedError"
    # iter_all asks for "Note" records only, so password-protected notes are not in it.
    locked = sum(1 for i in range(account.content.notes) if is_locked(i))
    assert notes["all_count"] == account.content.notes - locked and notes["deleted"] >= 1


def test_account_devices_family_storage(seen: dict[str, Any]) -> None:
    account = seen["account"]
    assert account["devices"] >= 4 and account["family"] >= 2 and account["used"] > 0
