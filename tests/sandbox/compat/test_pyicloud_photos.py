"""Unmodified pyicloud 2026.10.1 lists a sandbox library and downloads an original.

The downloaded bytes must be exactly what the sandbox's content host serves for that
``downloadURL`` (resolved here in-process from the same world).
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

import pytest

from cloudtap.sandbox.accounts.model import GeneratedLibrary
from cloudtap.sandbox.accounts.scenarios import PASSWORD
from cloudtap.sandbox.photos import generator, media
from cloudtap.sandbox.photos.content import resolve
from cloudtap.sandbox.photos.urls import decode_token
from cloudtap.sandbox.runtime import RunningSandbox
from tests.sandbox.compat.conftest import run_driver

pytestmark = pytest.mark.compat

APPLE_ID = "shared@sandbox.cloudtap.dev"  # private library plus a Shared Library zone


def served_bytes(sandbox: RunningSandbox, url: str) -> bytes:
    token = urlsplit(url).path.split("/")[2]
    ref = decode_token(token)
    assert ref is not None
    blob = resolve(sandbox.world, ref)
    assert blob is not None
    return media.join(blob.pieces)


def test_list_all_and_download_original(
    pyicloud_venv: Path, sandbox: RunningSandbox, tmp_path: Path
) -> None:
    account = sandbox.world.account(APPLE_ID)
    assert account is not None and isinstance(account.photos, GeneratedLibrary)
    library = account.photos
    visible = [
        generator.asset(library.seed, "PrimarySync", i)
        for i in range(library.count)
        if not generator.is_hidden(library.seed, i)
    ]
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
