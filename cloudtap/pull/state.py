"""The copy's private state, ``.cloudtap-pull/``: items, journal, deletions log and the
embedded server's data. Owner-only (0700, its files 0600), and refused when it would
lead out of the target folder (a symlink planted in a synced or restored folder)."""

from __future__ import annotations

import os
from pathlib import Path

from cloudtap.pull.paths import PRIVATE_DIR, PRIVATE_FILE, inside

STATE_DIR = ".cloudtap-pull"


def state_dir(root: Path) -> Path:
    """``root/.cloudtap-pull``, checked to stay inside ``root``, created owner-only."""
    path = inside(root, STATE_DIR)  # a symlink out of the folder is refused
    path.mkdir(mode=PRIVATE_DIR, parents=True, exist_ok=True)
    os.chmod(path, PRIVATE_DIR)
    return path


def private_databases(server_dir: Path, names: tuple[str, ...]) -> None:
    """Create the embedded server's SQLite files owner-only before SQLite does: it
    gives its -wal, -shm and journal files the database file's permissions."""
    server_dir.mkdir(mode=PRIVATE_DIR, parents=True, exist_ok=True)
    for name in names:
        path = server_dir / name
        if not path.exists():
            os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_NOFOLLOW, PRIVATE_FILE))


def tighten(state: Path) -> None:
    """Every directory under the private state 0700, every file 0600 (files the
    embedded server wrote with the process's umask, and folders from before)."""
    if not state.is_dir() or state.is_symlink():
        return
    for path in [state, *state.rglob("*")]:
        if path.is_symlink():
            continue
        os.chmod(path, PRIVATE_DIR if path.is_dir() else PRIVATE_FILE)
