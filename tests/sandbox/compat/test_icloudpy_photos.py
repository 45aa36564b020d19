"""Unmodified icloudpy 0.11.0 lists a sandbox library and downloads an original."""

from __future__ import annotations

from pathlib import Path

import pytest

from cloudtap.sandbox.accounts.scenarios import PASSWORD
from cloudtap.sandbox.runtime import RunningSandbox
from tests.sandbox.compat.conftest import run_driver
from tests.sandbox.compat.photos_support import served_bytes, visible_assets

pytestmark = pytest.mark.compat

APPLE_ID = "no2fa@sandbox.cloudtap.dev"


def test_list_all_and_download_original(
    icloudpy_venv: Path, sandbox: RunningSandbox, tmp_path: Path
) -> None:
    visible = visible_assets(sandbox, APPLE_ID)
    out = tmp_path / "original.bin"
    seen = run_driver(
        icloudpy_venv,
        "icloudpy_photos.py",
        [APPLE_ID, PASSWORD, str(tmp_path / "cookies"), str(out)],
        sandbox,
        tmp_path,
    )
    assert seen["count"] == len(visible)
    assert sorted(seen["filenames"]) == sorted(s.filename for s in visible)
    assert {"All Photos", "Holidays", "Family", "Videos", "Favorites"} <= set(seen["albums"])
    data = out.read_bytes()
    assert len(data) == seen["first_size"] > 0
    assert data == served_bytes(sandbox, seen["first_url"])
