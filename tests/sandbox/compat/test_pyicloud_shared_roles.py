"""Unmodified pyicloud 2026.10.1 on the two roles of one Shared Library: the owner
(``shared-owner@``, zone in the private database) and the participant
(``shared-participant@``, zone in the shared database). Both find the one Shared Library
and list its assets once, the same as cloudtap and the sandbox world."""

from __future__ import annotations

from pathlib import Path

import pytest

from cloudtap.sandbox.accounts.scenarios import PASSWORD
from cloudtap.sandbox.runtime import RunningSandbox
from tests.sandbox.compat.conftest import run_driver
from tests.sandbox.compat.photos_support import world_filenames

pytestmark = pytest.mark.compat


@pytest.mark.parametrize("name", ["shared-owner", "shared-participant"])
def test_pyicloud_lists_the_shared_library_once_in_each_role(
    pyicloud_venv: Path, sandbox: RunningSandbox, tmp_path: Path, name: str
) -> None:
    apple_id = f"{name}@sandbox.cloudtap.dev"
    account = sandbox.world.account(apple_id)
    assert account is not None
    own, shared = world_filenames(account)
    seen = run_driver(
        pyicloud_venv,
        "pyicloud_shared_library.py",
        [apple_id, PASSWORD, str(tmp_path / "cookies")],
        sandbox,
        tmp_path,
    )["libraries"]
    shared_keys = [key for key in seen if key.startswith("shared:")]
    assert len(shared_keys) == 1, seen.keys()
    listed = seen[shared_keys[0]]
    assert sorted(listed["filenames"]) == sorted(shared)
    assert len(set(listed["ids"])) == len(listed["ids"])
    assert sorted(seen["root"]["filenames"]) == sorted(own)
