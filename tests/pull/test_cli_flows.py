"""The other prompt flows and modes of ``cloudtap pull`` in a pseudo-terminal: a legacy
2SV account (device choice, then code), --watch, and where the password comes from."""

from __future__ import annotations

import json
from pathlib import Path

import pexpect

from cloudtap.icloud.datatypes.common import stable_id
from cloudtap.sandbox.services import _ckzone
from cloudtap.sandbox.services.notes import NotesContainer
from tests.pull.sandbox_world import CODE, PASSWORD, PLAIN, PullSandbox, run_pull, spawn_pull

TWO_SV = "2sv@sandbox.cloudtap.dev"


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
    # The library's originals (shared albums' photos go beside it, in shared-albums/).
    files = manifest["files"].values()
    originals = [f for f in files if f["kind"] == "original" and f["path"].startswith("photos/")]
    assert photos > 0 and len(originals) == photos


def test_watch_runs_again_without_asking(pull_sandbox: PullSandbox, tmp_path: Path) -> None:
    """--watch keeps the copy current: runs follow each other without asking anything,
    fetch nothing new, and a note deleted on Apple's side meanwhile is recorded."""
    root = tmp_path / "copy"
    child = _spawn(
        pull_sandbox,
        tmp_path,
        PLAIN,
        "--to",
        str(root),
        "--data-types",
        "mme_notes.notes,fmip.devices",
        "--watch",
        "1s",
    )
    child.expect(f"Apple ID password for {PLAIN}: ")
    child.sendline(PASSWORD)
    child.expect(r"pulled into .*: (\d+) files fetched")
    # Between two runs, the user deletes a note on a device.
    account = pull_sandbox.account(PLAIN)
    log = NotesContainer().change_log(account)
    name = next(
        str(log.record_at(p)["recordName"]) for p in range(log.total) if log.type_at(p) == "Note"
    )
    _ckzone.delete_record(pull_sandbox.world, account.dsid, NotesContainer.name, name)
    for _ in range(2):
        child.expect(r"pulled into .*: (\d+) files fetched")
    child.sendintr()
    child.expect(pexpect.EOF)
    child.close()
    # Nothing was asked after the start: a prompt would have blocked the later runs.
    manifest = json.loads((root / "manifest.json").read_text())
    runs = manifest["runs"]
    assert [r["number"] for r in runs] == [1, 2, 3]
    assert all(r["files_fetched"] == 0 for r in runs[1:])
    assert list(manifest["data_types"]["mme_notes.notes"]["deleted"]) == [stable_id("note", name)]


KEYRING_STUB = '''
"""Stands in for the keyring package: its get_password(service, username) API."""
import json
import os


def get_password(service, username):
    with open(os.environ["CT_KEYRING_LOG"], "a") as fh:
        fh.write(json.dumps([service, username]) + "\\n")
    if [service, username] == ["cloudtap", os.environ["CT_KEYRING_USER"]]:
        return os.environ["CT_KEYRING_SECRET"]
    return None
'''


def test_the_password_comes_from_the_keyring(pull_sandbox: PullSandbox, tmp_path: Path) -> None:
    """With a keyring holding the password (service ``cloudtap``, user = the Apple ID),
    nothing is asked; ``keyring`` is a stand-in module with the real one's call."""
    stub = tmp_path / "stub" / "keyring"
    stub.mkdir(parents=True)
    (stub / "__init__.py").write_text(KEYRING_STUB)
    asked = tmp_path / "keyring.log"
    root = tmp_path / "copy"
    child = spawn_pull(
        pull_sandbox,
        tmp_path,
        PLAIN,
        "--to",
        str(root),
        "--data-types",
        "icpl.photos",
        timeout=240,
        extra_env={
            "PYTHONPATH": str(stub.parent),
            "CT_KEYRING_LOG": str(asked),
            "CT_KEYRING_USER": PLAIN,
            "CT_KEYRING_SECRET": PASSWORD,
        },
    )
    assert child.expect(["password for", pexpect.EOF]) == 1, "the password was asked"
    child.close()
    assert child.exitstatus == 0, child.before
    assert [json.loads(line) for line in asked.read_text().splitlines()] == [["cloudtap", PLAIN]]
    manifest = json.loads((root / "manifest.json").read_text())
    assert manifest["data_types"]["icpl.photos"]["count"] > 0


def test_the_password_is_never_taken_from_the_command_line(
    pull_sandbox: PullSandbox, tmp_path: Path
) -> None:
    env = pull_sandbox.env(tmp_path)
    done = run_pull(env, PLAIN, "--to", str(tmp_path / "copy"), "--password", PASSWORD)
    assert done.returncode == 2 and "No such option" in done.stderr
    assert not (tmp_path / "copy").exists()


def test_a_refused_sign_in_says_why_and_when_to_retry(
    pull_sandbox: PullSandbox, tmp_path: Path
) -> None:
    """Issue 19.4/19.7: Apple's bare sign-in 503 (throttled@) ends the pull with the
    reason in plain words (throttling or pending terms) and the time to retry."""
    env = {**pull_sandbox.env(tmp_path), "CT_TEST_PASSWORD": PASSWORD}
    args = ("--to", str(tmp_path / "copy"), "--password-env", "CT_TEST_PASSWORD")
    done = run_pull(env, "throttled@sandbox.cloudtap.dev", *args)
    assert done.returncode == 1, done.stderr
    assert "the Apple login failed: rate-limited" in done.stderr
    assert "new iCloud terms" in done.stderr and "icloud.com" in done.stderr
    assert "Do not retry before 20" in done.stderr  # an ISO time: 20xx-…


def test_a_data_type_apple_refuses_is_named_in_plain_words(
    pull_sandbox: PullSandbox, tmp_path: Path
) -> None:
    """Issue 19.1: contacts answered with Apple's error envelope (error-envelope@) fail
    the pull of that type, said in plain words, and no empty address book is written."""
    env = {**pull_sandbox.env(tmp_path), "CT_TEST_PASSWORD": PASSWORD}
    copy = tmp_path / "copy"
    args = ("--to", str(copy), "--password-env", "CT_TEST_PASSWORD")
    done = run_pull(env, "error-envelope@sandbox.cloudtap.dev", *args, "--data-types",
                    "mme_contacts.contacts")  # fmt: skip
    assert done.returncode == 2, done.stderr
    assert "failed: {'mme_contacts.contacts': 'apple-service-error'}" in done.stdout, done.stderr[
        -1500:
    ]
    assert "mme_contacts.contacts: " in done.stderr
    assert not list(copy.glob("contacts/*.vcf"))
