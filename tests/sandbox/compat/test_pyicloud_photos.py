"""Unmodified pyicloud 2026.10.1 lists a sandbox library and downloads an original.

The downloaded bytes must be exactly what the sandbox's content host serves for that
``downloadURL`` (resolved here in-process from the same world).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from cloudtap.sandbox.accounts.model import GeneratedLibrary
from cloudtap.sandbox.accounts.scenarios import PASSWORD
from cloudtap.sandbox.runtime import RunningSandbox
from tests.sandbox.compat.conftest import run_driver
from tests.sandbox.compat.photos_support import served_bytes, visible_assets

pytestmark = pytest.mark.compat

APPLE_ID = "shared@sandbox.cloudtap.dev"  # private library plus a Shared Library zone


def test_list_all_and_download_original(
    pyicloud_venv: Path, sandbox: RunningSandbox, tmp_path: Path
) -> None:
    visible = visible_assets(sandbox, APPLE_ID)
    account = sandbox.world.account(APPLE_ID)
    assert account is not None and isinstance(account.photos, GeneratedLibrary)
    library = account.photos
    out = tmp_path / "original.bin"
    seen = run_driver(
        pyicloud_venv,
        "pyicloud_photos.py",
        [APPLE_ID, PASSWORD, str(tmp_path / "cookies"), str(out)],
        sandbox,
        tmp_path,
    )
    assert seen["count"] == len(visible)
    assert sorted(seen["filenames"]) == sorted(s.filename for s in visible)
    assert len(set(seen["ids"])) == len(visible)
    assert any(key.startswith("shared:SharedSync-") for key in seen["libraries"])
    assert {"Holidays", "Family", "Trips", "Videos", "Live", "Favorites"} <= set(seen["albums"])

    # The change feed from the start: every record, then the purged one's tombstones;
    # nothing has changed since the cursor taken before it.
    purged = max(1, library.count // 100)
    assert seen["changes_updated"] == 2 * (library.count + purged)
    assert seen["changes_deleted"] == 2 * purged
    assert seen["changes_since_cursor"] == 0

    data = out.read_bytes()
    assert len(data) == seen["first_size"] > 0
    assert data == served_bytes(sandbox, seen["first_url"])
