"""The folder's private state is owner-only, and the key that seals the Apple session
lives outside the folder: a synced or restored copy carries no way to open it."""

from __future__ import annotations

import json
import stat
from pathlib import Path

from tests.pull.sandbox_world import PASSWORD, SLOW, PullSandbox, run_pull

ARGS = ("--data-types", "mme_contacts.contacts", "--password-env", "CT_TEST_PASSWORD")


def _pull(sandbox: PullSandbox, tmp_path: Path, root: Path) -> tuple[str, dict[str, str]]:
    env = {
        **sandbox.env(tmp_path),
        "CT_TEST_PASSWORD": PASSWORD,
        "XDG_DATA_HOME": str(tmp_path / "xdg"),
    }
    done = run_pull(env, SLOW, "--to", str(root), *ARGS)
    assert done.returncode == 0, done.stdout + done.stderr
    account = json.loads((root / "manifest.json").read_text())["account"]
    return done.stderr, account


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.lstat().st_mode)


def _keys(tmp_path: Path) -> list[Path]:
    return sorted((tmp_path / "xdg/cloudtap/pull-keys").glob("*.key"))


def test_private_state_is_owner_only_and_the_key_lives_elsewhere(
    pull_sandbox: PullSandbox, tmp_path: Path
) -> None:
    root = tmp_path / "copy"
    _, account = _pull(pull_sandbox, tmp_path, root)

    state = root / ".cloudtap-pull"
    assert (state / "server/cloudtap.db").is_file()
    loose = [
        f"{oct(_mode(p))} {p.relative_to(root)}"
        for p in [state, *state.rglob("*")]
        if _mode(p) != (0o700 if p.is_dir() else 0o600)
    ]
    assert loose == []
    assert list(root.rglob("master.key")) == []
    [key] = _keys(tmp_path)
    assert _mode(key) == 0o600 and _mode(key.parent) == 0o700

    # A folder from before: its key inside. It is moved out once, and still opens the
    # sealed Apple session (kept, not a new login).
    legacy = state / "server/master.key"
    legacy.write_bytes(key.read_bytes())
    key.unlink()
    stderr, again = _pull(pull_sandbox, tmp_path, root)
    assert not legacy.exists() and _keys(tmp_path) == [key]
    assert "moved the key" in stderr, stderr
    assert again["session"] == account["session"]
