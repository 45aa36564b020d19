"""The icloudpd 1.32.3 binary (from PyPI, unmodified) downloads a whole sandbox library.

Through the live proxy: sign-in, CheckIndexingState, counts, rank paging, and every
original plus the live-photo MOVs from the content host. A second run with
``--until-found 3`` must find everything on disk and download nothing.

TLS: the frozen binary honours ``REQUESTS_CA_BUNDLE``/``SSL_CERT_FILE`` for every call a
no-2FA download makes (only the SMS 2FA calls use the bundled certifi), so the
sandbox CA in those variables is all it needs.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from cloudtap.sandbox.accounts.model import GeneratedLibrary
from cloudtap.sandbox.accounts.scenarios import PASSWORD, scenario_account
from cloudtap.sandbox.photos import generator
from cloudtap.sandbox.runtime import RunningSandbox
from tests.sandbox.compat.conftest import client_env

pytestmark = pytest.mark.compat

APPLE_ID = "no2fa@sandbox.cloudtap.dev"


def expected_files() -> dict[str, int]:
    """File name → size for every visible asset of the account, live MOVs included."""
    library = scenario_account(APPLE_ID).photos
    assert isinstance(library, GeneratedLibrary) and 20 <= library.count <= 60
    files: dict[str, int] = {}
    for index in range(library.count):
        spec = generator.asset(library.seed, "PrimarySync", index)
        if spec.hidden:
            continue
        original = spec.resource("resOriginal")
        assert original is not None
        files[spec.filename] = original.size
        live = spec.resource("resOriginalVidCompl")
        if live is not None:
            files[spec.filename.rsplit(".", 1)[0] + "_HEVC.MOV"] = live.size
    return files


def run_icloudpd(
    venv: Path, sandbox: RunningSandbox, home: Path, *extra: str, apple_id: str = APPLE_ID
) -> str:
    result = subprocess.run(
        [
            str(venv / "bin" / "icloudpd"),
            "--username",
            apple_id,
            "--password",
            PASSWORD,
            "--directory",
            str(home / "photos"),
            "--cookie-directory",
            str(home / "cookies"),
            "--no-progress-bar",
            *extra,
        ],
        env=client_env(sandbox, home),
        capture_output=True,
        text=True,
        timeout=600,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-4000:]
    return output


def on_disk(root: Path) -> dict[str, int]:
    return {p.name: p.stat().st_size for p in root.rglob("*") if p.is_file()}


def test_full_download_then_until_found_downloads_nothing(
    icloudpd_venv: Path, sandbox: RunningSandbox, tmp_path: Path
) -> None:
    expected = expected_files()
    assert any(name.endswith("_HEVC.MOV") for name in expected)
    assert any(name.endswith(".DNG") for name in expected)

    output = run_icloudpd(icloudpd_venv, sandbox, tmp_path)
    assert "All photos and videos have been downloaded" in output
    assert on_disk(tmp_path / "photos") == expected

    start = len(sandbox.exchanges())
    output = run_icloudpd(icloudpd_venv, sandbox, tmp_path, "--until-found", "3")
    downloads = [e for e in sandbox.exchanges()[start:] if e.host == "cvws.icloud-content.com"]
    assert downloads == []
    assert "Downloaded" not in output
    assert on_disk(tmp_path / "photos") == expected


@pytest.mark.parametrize(
    ("apple_id", "message"),
    [
        (
            "photos-off@sandbox.cloudtap.dev",
            "finish setting up your iCloud service (ZONE_NOT_FOUND)",
        ),
        ("adp@sandbox.cloudtap.dev", "private db access disabled for this account"),
    ],
)
def test_photos_off_and_adp_are_reported_like_apple(
    icloudpd_venv: Path, sandbox: RunningSandbox, tmp_path: Path, apple_id: str, message: str
) -> None:
    output = run_icloudpd(icloudpd_venv, sandbox, tmp_path, apple_id=apple_id)
    assert message in output
    assert not (tmp_path / "photos").exists() or on_disk(tmp_path / "photos") == {}
