"""Paths inside the copy, and only there.

Every path a pull reads back (the manifest, the files journal) or builds from the
server's data is relative to the target folder; a synced or restored folder, or a
hostile server, may hold anything. ``inside`` resolves such a path (symlinks included)
and refuses it unless it stays under the folder; ``write_new`` and ``append_private``
never follow a symlink at the file they write.
"""

from __future__ import annotations

import os
from pathlib import Path, PurePosixPath, PureWindowsPath

PRIVATE_FILE = 0o600
PRIVATE_DIR = 0o700


class OutsideCopy(ValueError):
    """A path that would lead out of the target folder (or is no path at all)."""

    def __init__(self, path: object, reason: str) -> None:
        super().__init__(f"refused {str(path)!r}: {reason}")
        self.path, self.reason = str(path), reason


def inside(root: Path, relative: object) -> Path:
    """``root / relative`` resolved, if it is a relative path that stays under ``root``
    once every symlink on the way is followed; else ``OutsideCopy``."""
    if not isinstance(relative, str) or not relative or "\0" in relative:
        raise OutsideCopy(relative, "not a path")
    posix = PurePosixPath(relative)
    if posix.is_absolute() or PureWindowsPath(relative).drive:
        raise OutsideCopy(relative, "an absolute path")
    if ".." in posix.parts or "\\" in relative:
        raise OutsideCopy(relative, "leads out of the folder")
    base = root.resolve()
    target = (base / posix).resolve()
    if target == base or not target.is_relative_to(base):
        raise OutsideCopy(relative, "leads out of the folder through a symlink")
    return target


def _unlink_link(path: Path) -> None:
    """Whatever sits at ``path`` is removed if it is a symlink or a file, so an
    exclusive create cannot be steered elsewhere."""
    path.unlink(missing_ok=True)


def write_new(path: Path, data: bytes, mode: int = 0o644) -> None:
    """Write ``data`` to ``path`` by a temporary file beside it, created exclusively
    (never through a symlink planted there), then renamed over ``path`` (which replaces
    a symlink rather than writing through it)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    _unlink_link(tmp)
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, mode)
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)
    os.replace(tmp, path)


def open_new(path: Path, mode: int = 0o644) -> int:
    """A fresh file at ``path`` for writing (what sat there removed first): a descriptor."""
    path.parent.mkdir(parents=True, exist_ok=True)
    _unlink_link(path)
    return os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, mode)


def append_private(path: Path, text: str) -> None:
    """Append to a 0600 file of the private state, never through a symlink."""
    path.parent.mkdir(mode=PRIVATE_DIR, parents=True, exist_ok=True)
    flags = os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_NOFOLLOW
    fd = os.open(path, flags, PRIVATE_FILE)
    with os.fdopen(fd, "a", encoding="utf-8") as fh:
        fh.write(text)
