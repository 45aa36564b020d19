"""``cloudtap pull`` of iCloud Drive against the sandbox's rich@: ``drive/`` is the world's
tree (bytes, modification times, empty folders, the 200 MB film), Recently Deleted apart;
a second pull fetches nothing; after the world changes, the edited file is replaced, the
trashed one moves, and the deleted one is recorded, then removed on request."""

from __future__ import annotations

import hashlib
import json
from dataclasses import replace
from pathlib import Path
from typing import Any

from cloudtap.pull.runner import DELETIONS_LOG
from cloudtap.sandbox.hosts import CONTENT
from cloudtap.sandbox.photos import media
from cloudtap.sandbox.services.content import drive as world_drive
from tests.pull.sandbox_world import PASSWORD, PullSandbox, run_pull

RICH = "rich@sandbox.cloudtap.dev"
ARGS = ("--data-types", "icloud_drive.files", "--password-env", "CT_TEST_PASSWORD")


def _pull(sandbox: PullSandbox, tmp_path: Path, root: Path, *extra: str) -> dict[str, Any]:
    env = {**sandbox.env(tmp_path), "CT_TEST_PASSWORD": PASSWORD}
    done = run_pull(env, RICH, "--to", str(root), *ARGS, *extra)
    assert done.returncode == 0, done.stdout + done.stderr
    return dict(json.loads((root / "manifest.json").read_text()))


def _md5(pieces: media.Pieces, size: int) -> str:
    digest = hashlib.md5()
    for chunk in media.iter_range(pieces, 0, size - 1) if size else []:
        digest.update(chunk)
    return digest.hexdigest()


def _file_md5(path: Path) -> str:
    digest = hashlib.md5()
    with path.open("rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def _where(tree: world_drive.DriveTree, node: world_drive.DriveNode) -> str:
    top = "drive-recently-deleted" if node.trashed else "drive"
    return f"{top}/{tree.path_of(node)}"


def _check_copy(root: Path, sandbox: PullSandbox) -> world_drive.DriveTree:
    account = sandbox.account(RICH)
    tree = world_drive.small_tree(account.content)
    for node in tree.nodes[1:]:
        path = root / _where(tree, node)
        if node.kind != "FILE":
            assert path.is_dir(), path
            continue
        assert path.is_file(), path
        assert path.stat().st_size == node.size
        assert path.stat().st_mtime == node.modified.timestamp(), path
        assert _file_md5(path) == _md5(world_drive.pieces(account.content, node), node.size)
    on_disk = {
        p.relative_to(root).as_posix()
        for top in ("drive", "drive-recently-deleted")
        for p in (root / top).rglob("*")
        if p.is_file()
    }
    assert on_disk == {_where(tree, n) for n in tree.nodes if n.kind == "FILE"}
    return tree


def test_pull_drive_twice_then_changes(pull_sandbox: PullSandbox, tmp_path: Path) -> None:
    root = tmp_path / "copy"
    manifest = _pull(pull_sandbox, tmp_path, root)
    tree = _check_copy(root, pull_sandbox)
    assert (root / "drive/Movies/Holiday.mov").stat().st_size == world_drive.BIG_FILE_SIZE
    assert (root / "drive/Projects/Empty folder").is_dir()
    assert manifest["data_types"]["icloud_drive.files"]["count"] == len(tree.nodes)

    before = len(pull_sandbox.running.exchanges())
    again = _pull(pull_sandbox, tmp_path, root)
    calls = pull_sandbox.running.exchanges()[before:]
    assert again["runs"][-1]["files_fetched"] == 0
    assert not [c for c in calls if c.host == CONTENT]
    drive_calls = [c for c in calls if "drivews" in c.host or "docws" in c.host]
    assert len(drive_calls) == 5, drive_calls  # one per level of the tree

    account = pull_sandbox.account(RICH)
    later = replace(account.content, drive_revision=1)
    pull_sandbox.world.accounts[RICH] = replace(account, content=later)
    changed = _pull(pull_sandbox, tmp_path, root)
    after = world_drive.small_tree(later)
    report = changed["runs"][-1]["data_types"]["icloud_drive.files"]
    assert report["mode"] == "changes" and report["deleted"] == 1
    assert changed["runs"][-1]["files_fetched"] == 2  # the edited file and the trashed one
    notes = next(n for n in after.nodes if n.full_name == "Notes.txt")
    assert (root / "drive/Documents/Notes.txt").stat().st_size == notes.size == 2_001
    assert not (root / "drive/Projects/plan.md").exists()
    assert (root / "drive-recently-deleted/plan.md").is_file()
    # Deleted for good on Apple's side: recorded, kept until --apply-deletions.
    assert (root / "drive/Documents/Report.pdf").is_file()
    [line] = (root / DELETIONS_LOG).read_text().splitlines()
    assert json.loads(line)["files"] == ["drive/Documents/Report.pdf"]
    _pull(pull_sandbox, tmp_path, root, "--apply-deletions")
    _check_copy(root, pull_sandbox)
