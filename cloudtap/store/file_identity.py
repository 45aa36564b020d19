"""The SQLite file an engine opened must still be the file at its path.

SQLite keeps writing to an open file after it has been deleted or replaced (a restore
copied over it): every later write is lost on the next start, while each was answered as
a success. The file's identity (device and inode) is recorded at its first connection;
every connection checkout, and ``/readyz``, compare it with the path's now. The file is
also held open: otherwise a file created anew at the path (a new connection recreates a
deleted one) may be given the freed inode number and pass for the old one.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path


class DatabaseFileChanged(RuntimeError):
    """The database file was deleted or replaced while in use; nothing may be written."""


class FileIdentity:
    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()
        self._identity: tuple[int, int] | None = None
        self._held: int | None = None  # a descriptor of the recorded file, kept open

    def _now(self) -> tuple[int, int] | None:
        try:
            found = os.stat(self.path)
        except FileNotFoundError:
            return None
        return found.st_dev, found.st_ino

    def record(self) -> None:
        """At a connection: the first one records the file, later ones must match it."""
        with self._lock:
            if self._identity is None:
                try:
                    self._held = os.open(self.path, os.O_RDONLY)
                except FileNotFoundError:
                    return
                found = os.fstat(self._held)
                self._identity = (found.st_dev, found.st_ino)
                return
        self.check()

    def close(self) -> None:
        """Let the recorded file go (its engine is disposed)."""
        with self._lock:
            if self._held is not None:
                os.close(self._held)
                self._held = None

    def check(self) -> None:
        """Raises :class:`DatabaseFileChanged` if the path no longer names the file."""
        recorded = self._identity
        if recorded is None:
            return
        now = self._now()
        if now == recorded:
            # The path names the held file, so it has a link: no second system call
            # (each lets another thread take the GIL) on every connection checkout.
            return
        held_links = os.fstat(self._held).st_nlink if self._held is not None else 1
        if now is None or held_links == 0:
            raise DatabaseFileChanged(f"the database file {self.path.name} was deleted")
        if now != recorded:
            raise DatabaseFileChanged(f"the database file {self.path.name} was replaced")
