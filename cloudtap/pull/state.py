"""The copy's private state, ``.cloudtap-pull/``: items, journal, deletions log and the
embedded server's data. Owner-only (0700, its files 0600), and refused when it would
lead out of the target folder (a symlink planted in a synced or restored folder)."""

from __future__ import annotations

import os
from pathlib import Path

from cloudtap.pull.paths import PRIVATE_DIR, inside

STATE_DIR = ".cloudtap-pull"


def state_dir(root: Path) -> Path:
    """``root/.cloudtap-pull``, checked to stay inside ``root``, created owner-only."""
    path = inside(root, STATE_DIR)  # a symlink out of the folder is refused
    path.mkdir(mode=PRIVATE_DIR, parents=True, exist_ok=True)
    os.chmod(path, PRIVATE_DIR)
    return path
