"""Apple forgets the session between two pulls (here: a sandbox restarted with an empty
memory of web sessions): the second pull logs in again by itself and fetches nothing."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pexpect

from cloudtap.config import get_settings
from cloudtap.sandbox.runtime import start_sandbox
from cloudtap.sandbox.world import SandboxWorld
from tests.pull.sandbox_world import (
    CODE,
    PASSWORD,
    SLOW,
    TWO_FA,
    PullSandbox,
    run_pull,
    sandbox_accounts,
    spawn_pull,
)

ARGS = ("--data-types", "icpl.photos,mme_contacts.contacts", "--password-env", "CT_PW")


def _pull(sandbox: PullSandbox, tmp_path: Path, root: Path) -> dict[str, Any]:
    done = run_pull({**sandbox.env(tmp_path), "CT_PW": PASSWORD}, SLOW, "--to", str(root), *ARGS)
    assert done.returncode == 0, done.stdout + done.stderr
    return dict(json.loads((root / "manifest.json").read_text()))


def test_a_forgotten_session_is_replaced(pull_sandbox: PullSandbox, tmp_path: Path) -> None:
    root = tmp_path / "copy"
    first = _pull(pull_sandbox, tmp_path, root)
    pull_sandbox.running.close()

    settings = get_settings()
    world = SandboxWorld.with_accounts(sandbox_accounts(), seed=settings.sandbox_seed)
    with start_sandbox(settings, world=world) as running:
        again = PullSandbox(running, world)
        second = _pull(again, tmp_path, root)
        logins = [e for e in running.exchanges() if e.path.endswith("/signin/init")]
    assert second["account"]["session"] != first["account"]["session"]
    assert len(logins) == 1  # one new login, not one per data type
    assert second["runs"][-1]["files_fetched"] == 0
    assert second["files"] == first["files"]


def test_a_2fa_account_signs_in_again_without_a_code(
    pull_sandbox: PullSandbox, tmp_path: Path
) -> None:
    """The API keeps Apple's trust token sealed: when Apple ends the account's sign-ins,
    the next pull gets in again without a code (with the password at most); nothing the
    pull or its embedded server wrote holds the password or a session or trust token in
    clear."""
    root = tmp_path / "copy"
    args = ("--to", str(root), "--data-types", "fmip.devices")
    child = spawn_pull(pull_sandbox, tmp_path, TWO_FA, *args, timeout=240)
    child.expect(f"Apple ID password for {TWO_FA}: ")
    child.sendline(PASSWORD)
    child.expect("Two-factor code")
    child.sendline(CODE)
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0, child.before
    book = pull_sandbox.world.sign_ins
    trusted = list(book._trust)  # the test reads the fake Apple's own books
    assert trusted, "no trust token was issued"
    sessions = list(book._by_token)
    # Apple ends the web session and the session token: only the trust token is left.
    pull_sandbox.world.expire_sessions_of(TWO_FA)
    book.end_sign_ins(TWO_FA)

    logins_before = _logins(pull_sandbox)
    child = spawn_pull(pull_sandbox, tmp_path, TWO_FA, *args, timeout=240)
    asked = child.expect([f"Apple ID password for {TWO_FA}: ", "Two-factor code", pexpect.EOF])
    if asked == 0:
        child.sendline(PASSWORD)
        asked = child.expect(["Two-factor code", pexpect.EOF]) + 1
    child.close()
    assert asked == 2, "a code was asked again"
    assert child.exitstatus == 0, child.before
    assert _logins(pull_sandbox) > logins_before  # it did sign in again
    manifest = json.loads((root / "manifest.json").read_text())
    assert [r["number"] for r in manifest["runs"]] == [1, 2]
    assert "error" not in manifest["data_types"]["fmip.devices"]
    secrets = {PASSWORD, *trusted, *sessions, *book._trust, *book._by_token}
    for path in root.rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            for secret in secrets:
                assert secret.encode() not in data, (path, "holds a secret in clear")


def _logins(sandbox: PullSandbox) -> int:
    return len([e for e in sandbox.running.exchanges() if e.path.endswith("/signin/complete")])
