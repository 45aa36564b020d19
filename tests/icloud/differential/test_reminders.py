"""Unmodified pyicloud 2026.10.1 and cloudtap read the same sandbox reminders and agree:
the same lists, and every reminder's list, title, notes, due date (the same instant; the
same day for all-day ones), time zone and completion."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from cloudtap.icloud.datatypes.cloudkit_reminders import list_id, reminder_id
from cloudtap.sandbox.runtime import RunningSandbox
from tests.icloud.differential.conftest import cloudtap_view, pyicloud_account_view

pytestmark = pytest.mark.compat

ACCOUNT = "rich"


def _instant(text: str | None) -> datetime | None:
    if text is None:
        return None
    moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


async def test_pyicloud_and_cloudtap_agree_on_lists_and_reminders(
    pyicloud_venv: Path, sandbox: RunningSandbox, tmp_path: Path
) -> None:
    theirs = pyicloud_account_view(
        pyicloud_venv, "pyicloud_reminders.py", ACCOUNT, sandbox, tmp_path
    )
    ours = await cloudtap_view(sandbox, ACCOUNT, "cloudkit_reminders.reminders")
    our_lists = {i["id"]: i for i in ours if i["data_type"] == "cloudkit_reminders.list"}
    our_reminders = {i["id"]: i for i in ours if i["data_type"] == "cloudkit_reminders.reminder"}

    assert len(theirs["lists"]) == len(our_lists) > 0
    for lst in theirs["lists"]:
        mine = our_lists[list_id(lst["id"])]
        assert (lst["title"], lst["count"]) == (mine["name"], mine["count"])

    assert len(theirs["reminders"]) == len(our_reminders) > 0
    for rem in theirs["reminders"]:
        mine = our_reminders[reminder_id(rem["id"])]
        assert mine["list_id"] == list_id(rem["list_id"])
        assert (rem["title"], rem["desc"]) == (mine["title"], mine["notes"])
        assert (rem["completed"], rem["all_day"]) == (mine["completed"], mine["all_day"])
        assert _instant(rem["completed_date"]) == _instant(mine["date_completed"])
        assert mine["parent_id"] == (reminder_id(rem["parent"]) if rem["parent"] else None)
        if mine["all_day"]:
            # pyicloud gives the stored instant; we publish its day.
            due = _instant(rem["due_date"])
            assert due is not None and due.date() == date.fromisoformat(mine["due_date"])
        else:
            assert _instant(rem["due_date"]) == _instant(mine["due_date"])
            assert rem["time_zone"] == mine["time_zone"]
    # The comparison covered the cases that matter.
    mine_all = list(our_reminders.values())
    assert any(r["all_day"] for r in mine_all) and any(r["completed"] for r in mine_all)
    assert any(r["parent_id"] for r in mine_all)
    assert len({r["time_zone"] for r in mine_all if r["time_zone"]}) >= 3
