"""The SQLite file an engine opened must still be the file at its path.

SQLite keeps writing to an open file after it has been deleted or replaced (a restore
copied over it): every later write is lost on the next start, while each was answered as
a success. The file's identity (device and inode) is recorded at its first connection;
every connection checkout, and ``/readyz``, compare it with the path's now.
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
                self._identity = self._now()
                return
        self.check()

    def check(self) -> None:
        """Raises :class:`DatabaseFileChanged` if the path no longer names the file."""
        recorded = self._identity
        if recorded is None:
            return
        now = self._now()
        if now is None:
            raise DatabaseFileChanged(f"the database file {self.path.name} was deleted")
        if now != recorded:
            raise DatabaseFileChanged(f"the database file {self.path.name} was replaced")
