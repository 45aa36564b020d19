"""Apple forgets the session between two pulls (here: a sandbox restarted with an empty
memory of web sessions): the second pull logs in again by itself and fetches nothing."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from cloudtap.config import get_settings
from cloudtap.sandbox.runtime import start_sandbox
from cloudtap.sandbox.world import SandboxWorld
from tests.pull.sandbox_world import (
    PASSWORD,
    SLOW,
    PullSandbox,
    run_pull,
    sandbox_accounts,
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
