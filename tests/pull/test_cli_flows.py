"""The other prompt flows and modes of ``cloudtap pull`` in a pseudo-terminal: a legacy
2SV account (device choice, then code) and --watch."""

from __future__ import annotations

import json
from pathlib import Path

import pexpect

from tests.pull.sandbox_world import CODE, PASSWORD, PullSandbox, spawn_pull

TWO_SV = "2sv@sandbox.cloudtap.dev"
NO_2FA = "no2fa@sandbox.cloudtap.dev"


def _spawn(sandbox: PullSandbox, tmp_path: Path, *args: str) -> pexpect.spawn:
    return spawn_pull(sandbox, tmp_path, *args, timeout=240)


def test_two_step_verification_asks_for_a_device_then_the_code(
    pull_sandbox: PullSandbox, tmp_path: Path
) -> None:
    root = tmp_path / "copy"
    child = _spawn(pull_sandbox, tmp_path, TWO_SV, "--to", str(root), "--data-types", "icpl.photos")
    child.expect(f"Apple ID password for {TWO_SV}: ")
    child.sendline(PASSWORD)
    child.expect(r"1\. (.+?)\r\n")
    child.expect("Send the verification code to")
    child.sendline("1")
    child.expect("Two-factor code")
    child.sendline(CODE)
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0, child.before
    manifest = json.loads((root / "manifest.json").read_text())
    photos = manifest["data_types"]["icpl.photos"]["count"]
    originals = [f for f in manifest["files"].values() if f["kind"] == "original"]
    assert photos > 0 and len(originals) == photos


def test_watch_runs_again_without_asking(pull_sandbox: PullSandbox, tmp_path: Path) -> None:
    root = tmp_path / "copy"
    child = _spawn(
        pull_sandbox,
        tmp_path,
        NO_2FA,
        "--to",
        str(root),
        "--data-types",
        "mme_contacts.contacts,fmip.devices",
        "--watch",
        "1s",
    )
    child.expect(f"Apple ID password for {NO_2FA}: ")
    child.sendline(PASSWORD)
    for _ in range(3):
        child.expect(r"pulled into .*: (\d+) files fetched")
    child.sendintr()
    child.expect(pexpect.EOF)
    child.close()
    runs = json.loads((root / "manifest.json").read_text())["runs"]
    assert [r["number"] for r in runs] == [1, 2, 3]
    assert all(r["files_fetched"] == 0 for r in runs[1:])
