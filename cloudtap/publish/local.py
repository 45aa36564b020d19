"""The embedded result store: files under a local directory, streamed in and out.

Results are addressed by ``local:///absolute/path``, which ricloud-py copies natively
when it runs on the same machine; anyone else downloads through the signed URL.
"""

from __future__ import annotations

import hashlib
import os
import secrets
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from cloudtap.publish.store import StoredObject

CHUNK_SIZE = 64 * 1024


class ResultWriter:
    """Write-only sink that keeps the MD5 and size of what went through it."""

    def __init__(self, handle: object) -> None:
        self._handle = handle
        self._md5 = hashlib.md5(usedforsecurity=False)
        self.size = 0

    def write(self, chunk: bytes) -> None:
        self._handle.write(chunk)  # type: ignore[attr-defined]
        self._md5.update(chunk)
        self.size += len(chunk)

    @property
    def checksum(self) -> str:
        return self._md5.hexdigest()


class LocalResultStore:
    name = "local"

    def __init__(self, root: Path) -> None:
        self.root = root.resolve()

    def _path(self, key: str) -> Path:
        path = (self.root / key).resolve()
        if not path.is_relative_to(self.root):
            raise ValueError("result key escapes the result store")
        return path

    @contextmanager
    def writer(self, key: str) -> Iterator[tuple[ResultWriter, list[StoredObject]]]:
        """Yields a writer; after the block, the list holds the stored object.

        Bytes land in a temporary file first, so a crash never leaves a half result
        under the final name. Its name is this writer's own: a run of the task taken back
        from a stalled worker never writes into the stalled run's file.
        """
        path = self._path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_name(f"{path.name}.{secrets.token_hex(4)}.partial")
        stored: list[StoredObject] = []
        try:
            with open(partial, "wb") as handle:
                writer = ResultWriter(handle)
                yield writer, stored
            os.replace(partial, path)
        finally:
            if partial.exists():
                partial.unlink()
        stored.append(
            StoredObject(
                storage=self.name,
                location=str(path),
                url="local://" + path.as_posix(),
                size=writer.size,
                checksum=writer.checksum,
            )
        )

    def discard_partials(self, key_stem: str) -> int:
        """Remove what killed writers of ``<key_stem>.<extension>`` left behind."""
        stem = self._path(key_stem)
        removed = 0
        for partial in stem.parent.glob(f"{stem.name}.*partial"):
            partial.unlink(missing_ok=True)
            removed += 1
        return removed

    def read(self, location: str) -> Iterator[bytes]:
        """Opens now (so a missing file fails before a response starts), streams later."""
        path = Path(location)
        if not path.is_relative_to(self.root):
            raise FileNotFoundError(location)
        handle = open(path, "rb")  # noqa: SIM115 - closed by the generator below

        def chunks() -> Iterator[bytes]:
            with handle:
                while chunk := handle.read(CHUNK_SIZE):
                    yield chunk

        return chunks()

    def delete(self, location: str) -> None:
        path = Path(location)
        if path.is_relative_to(self.root) and path.exists():
            path.unlink()
            # Tidy empty poll directories; never above the store root.
            parent = path.parent
            while parent != self.root and parent.is_relative_to(self.root):
                try:
                    parent.rmdir()
                except OSError:
                    break
                parent = parent.parent

    def delete_all(self) -> None:
        shutil.rmtree(self.root, ignore_errors=True)
