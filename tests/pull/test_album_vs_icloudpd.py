"""icloudpd 1.32.3 (from PyPI, unmodified, in its own venv) and ``cloudtap pull`` both
copy one album of the sandbox's ``rich@`` through the same TLS proxy: its album of a
unicode name (icloudpd 1.32.3 sees only top-level albums: ``--album Rome``, inside two
folders, is its KeyError). The same originals at the same date-tree paths, the same
bytes for every file (originals and live-photo videos, which icloudpd names
``_HEVC.MOV``), and cloudtap's ``albums/`` folder holding those same bytes."""

from __future__ import annotations

import hashlib
import os
import subprocess
from collections import Counter
from pathlib import Path

import pytest

from tests.pull.sandbox_world import PASSWORD, PullSandbox, run_pull
from tests.support.venvs import client_venv

pytestmark = pytest.mark.compat

RICH = "rich@sandbox.cloudtap.dev"
ALBUM = "Été à Tōkyō 🌸"
ZONE = "America/New_York"  # both tools file by local day: one zone that is not UTC


def _md5s(root: Path) -> dict[str, str]:
    """Relative path → MD5 of every file (the pull's hidden state left out)."""
    return {
        p.relative_to(root).as_posix(): hashlib.md5(
            p.read_bytes(), usedforsecurity=False
        ).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file() and not any(part.startswith(".") for part in p.relative_to(root).parts)
    }


def _run_icloudpd(sandbox: PullSandbox, home: Path) -> None:
    venv = client_venv("icloudpd", ["icloudpd==1.32.3"])
    env = {k: v for k, v in os.environ.items() if not k.lower().endswith("_proxy")}
    env.update(sandbox.running.client_env(), HOME=str(home), TZ=ZONE)
    done = subprocess.run(
        [
            str(venv / "bin" / "icloudpd"),
            *("--username", RICH, "--password", PASSWORD, "--album", ALBUM),
            *("--directory", str(home / "icloudpd"), "--cookie-directory", str(home / "pd")),
            *("--folder-structure", "{:%Y/%m/%d}", "--no-progress-bar"),
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, (done.stdout + done.stderr)[-4000:]


def test_same_album_same_files_same_bytes_as_icloudpd(
    pull_sandbox: PullSandbox, tmp_path: Path
) -> None:
    _run_icloudpd(pull_sandbox, tmp_path)
    env = {**pull_sandbox.env(tmp_path), "TZ": ZONE, "RICH_PASSWORD": PASSWORD}
    root = tmp_path / "cloudtap"
    done = run_pull(
        env, RICH, "--to", str(root), "--password-env", "RICH_PASSWORD",
        "--data-types", "icpl.photos", "--album", ALBUM, "--layout", "albums",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr

    theirs = _md5s(tmp_path / "icloudpd")
    ours = {p.removeprefix("photos/"): m for p, m in _md5s(root).items() if p.startswith("photos/")}
    assert theirs, "icloudpd downloaded nothing"
    assert Counter(theirs.values()) == Counter(ours.values())  # the same bytes, file by file
    originals = {p for p in theirs if not p.upper().endswith(".MOV")}
    assert originals == {p for p in ours if not p.upper().endswith(".MOV")}
    for path in originals:
        assert theirs[path] == ours[path], path

    album = root / "albums" / ALBUM
    in_album = Counter(_md5s(album).values())
    assert in_album == Counter(theirs.values())
