"""Unmodified pyicloud 2026.10.1 reads an ADP account with web access on (``adp-web@``):
it asks ``requestWebAccessState`` and ``requestPCS`` itself, then lists the same assets
cloudtap lists (both compared with the sandbox world's own), and downloads one.

The owner approved web access on their device before pyicloud asks (the consent is the
account's, not the browser's), so pyicloud's own 5 s re-ask loop never runs.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from cloudtap.sandbox.accounts.scenarios import PASSWORD
from cloudtap.sandbox.runtime import RunningSandbox
from tests.sandbox.compat.conftest import run_driver
from tests.sandbox.compat.photos_support import served_bytes, visible_assets

pytestmark = pytest.mark.compat

APPLE_ID = "adp-web@sandbox.cloudtap.dev"


def test_pyicloud_reads_the_adp_web_library(
    pyicloud_venv: Path, sandbox: RunningSandbox, tmp_path: Path
) -> None:
    sandbox.world.consents.approve(APPLE_ID)
    out = tmp_path / "original.bin"
    seen = run_driver(
        pyicloud_venv,
        "pyicloud_photos.py",
        [APPLE_ID, PASSWORD, str(tmp_path / "cookies"), str(out)],
        sandbox,
        tmp_path,
    )
    visible = visible_assets(sandbox, APPLE_ID)
    assert sorted(seen["filenames"]) == sorted(a.filename for a in visible)
    assert seen["count"] == len(visible) == len(set(seen["ids"]))
    assert out.read_bytes() == served_bytes(sandbox, seen["first_url"])
    asked = [e.path for e in sandbox.exchanges() if e.path.startswith("/setup/ws/1/requestPCS")]
    assert asked, "pyicloud got the PCS cookies from requestPCS"


def test_pyicloud_without_the_owners_consent_gets_no_data(
    pyicloud_venv: Path, sandbox: RunningSandbox, tmp_path: Path
) -> None:
    # adp@: web access off. Apple sends no consent request, so pyicloud stops too.
    out = tmp_path / "original.bin"
    with pytest.raises(AssertionError, match="Unable to request PCS access"):
        run_driver(
            pyicloud_venv,
            "pyicloud_photos.py",
            ["adp@sandbox.cloudtap.dev", PASSWORD, str(tmp_path / "cookies"), str(out)],
            sandbox,
            tmp_path,
        )
