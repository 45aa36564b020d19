"""The sandbox's memory on disk: what its world learnt since it was built from the seed.

Apple does not forget a signed-in session because one of its servers restarted, so the
deployment's sandbox keeps its web sessions, sign-ins, trust tokens, accepted terms and
clients' edits (Photos ``records/modify``, deletions) in one file under the data dir.

The file is rewritten whole after each change: a private temporary file beside it, then
an atomic rename, so a kill -9 leaves the last complete snapshot (a power cut may lose
the last changes: nothing is fsynced, to keep sign-ins fast). It is sealed (AES-GCM) with
the deployment's master key, so it holds no token in clear. A file that cannot be opened
(damaged, or sealed by another key) is set aside and the world starts fresh, as Apple's
would after it forgot: clients see their sessions end and sign in again.
"""

from __future__ import annotations

import json
import logging
import os
import tempfile
import threading
from pathlib import Path
from typing import Any

from cloudtap.crypto.sealing import Sealed, Sealer, SealError
from cloudtap.sandbox.cloudkit.context import state_of
from cloudtap.sandbox.photos.edits import PhotosEdits
from cloudtap.sandbox.services._ckzone import Deletions
from cloudtap.sandbox.world import (
    DELETIONS,
    PARTS,
    PASSWORDS,
    PHOTOS_EDITS,
    SIGN_INS,
    WEB_SESSIONS,
    SandboxWorld,
)

log = logging.getLogger(__name__)
SNAPSHOT_VERSION = 1
_CONTEXT = "cloudtap-sandbox-memory"
# The names ``cloudkit.context.state_of`` keeps these under (see photos/container.py and
# services/_ckzone.py); a reply cache is not memory, it is rebuilt on demand.
_PHOTOS_EDITS_STATE = "photos-edits"
_DELETIONS_STATE = "changelog-deletions"


def _export(world: SandboxWorld, part: str) -> Any:
    if part == WEB_SESSIONS:
        return world.export_web_sessions()
    if part == SIGN_INS:
        return world.sign_ins.export()
    if part == PHOTOS_EDITS:
        return state_of(world, _PHOTOS_EDITS_STATE, PhotosEdits).export()
    if part == DELETIONS:
        return state_of(world, _DELETIONS_STATE, Deletions).export()
    if part == PASSWORDS:
        return world.export_passwords()
    raise ValueError(f"unknown part of the sandbox's memory: {part!r}")


def _restore(world: SandboxWorld, snapshot: dict[str, Any]) -> None:
    world.restore_web_sessions(snapshot.get(WEB_SESSIONS, []))
    world.sign_ins.restore(snapshot.get(SIGN_INS, {}))
    state_of(world, _PHOTOS_EDITS_STATE, PhotosEdits).restore(snapshot.get(PHOTOS_EDITS, []))
    state_of(world, _DELETIONS_STATE, Deletions).restore(snapshot.get(DELETIONS, []))
    world.restore_passwords(snapshot.get(PASSWORDS, {}))


class WorldMemory:
    def __init__(self, path: Path, sealer: Sealer) -> None:
        self.path = path
        self._sealer = sealer
        self._lock = threading.Lock()
        # Each part's JSON as last written: a change re-reads only its own part.
        self._parts: dict[str, bytes] = {}

    def restore(self, world: SandboxWorld) -> None:
        """Lay the remembered state over a freshly built world (nothing if none)."""
        snapshot = self._read()
        if snapshot is not None:
            _restore(world, snapshot)
        with self._lock:
            self._parts = {part: _dumps(_export(world, part)) for part in PARTS}

    def save(self, world: SandboxWorld, part: str) -> None:
        """Write the world's state again if ``part`` of it changed since the last write."""
        with self._lock:
            fresh = _dumps(_export(world, part))
            if self._parts.get(part) == fresh:
                return
            self._parts[part] = fresh
            fields = [b'"version":' + str(SNAPSHOT_VERSION).encode()]
            fields += [_dumps(name) + b":" + self._parts[name] for name in PARTS]
            plain = b"{" + b",".join(fields) + b"}"
            sealed = self._sealer.seal(plain, _CONTEXT)
            _write_atomically(self.path, sealed.key_id.encode() + b"\n" + sealed.blob)

    def _read(self) -> dict[str, Any] | None:
        try:
            raw = self.path.read_bytes()
        except FileNotFoundError:
            return None
        try:
            key_id, _, blob = raw.partition(b"\n")
            snapshot = json.loads(self._sealer.open(Sealed(key_id.decode(), blob), _CONTEXT))
            if not isinstance(snapshot, dict) or snapshot.get("version") != SNAPSHOT_VERSION:
                raise ValueError("not a snapshot of this version")
            return snapshot
        except (SealError, ValueError, UnicodeDecodeError) as exc:
            aside = self.path.with_name(self.path.name + ".unreadable")
            os.replace(self.path, aside)
            reason = type(exc).__name__
            log.warning("sandbox memory unreadable (%s); set aside as %s", reason, aside)
            return None


def _dumps(value: Any) -> bytes:
    return json.dumps(value, separators=(",", ":")).encode()


def _write_atomically(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    # mkstemp makes the file 0600, so the snapshot is never readable by others.
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=path.name, suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(data)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def remember(world: SandboxWorld, memory: WorldMemory) -> SandboxWorld:
    """Restore ``world`` from ``memory`` and keep every later change there."""
    memory.restore(world)
    world.on_change = lambda part: memory.save(world, part)
    return world
