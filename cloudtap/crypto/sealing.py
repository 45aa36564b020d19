"""AES-256-GCM sealing of small secrets (Apple cookies, session and trust tokens).

A sealed blob records the id of the key that sealed it, so old rows stay readable
while the master key rotates; the associated data binds a blob to its row and field.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from typing import Any

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from cloudtap.crypto.keys import derive_key, key_id

_NONCE_BYTES = 12


@dataclass(frozen=True)
class Sealed:
    key_id: str
    blob: bytes


class SealError(Exception):
    """The blob was sealed by an unknown key or was tampered with."""


class Sealer:
    def __init__(self, master: bytes, previous: tuple[bytes, ...] = ()) -> None:
        self._current_id = key_id(master)
        self._keys = {key_id(k): AESGCM(derive_key(k, "seal")) for k in (master, *previous)}

    @property
    def current_key_id(self) -> str:
        return self._current_id

    def seal(self, plaintext: bytes, context: str) -> Sealed:
        nonce = os.urandom(_NONCE_BYTES)
        aead = self._keys[self._current_id]
        return Sealed(self._current_id, nonce + aead.encrypt(nonce, plaintext, context.encode()))

    def open(self, sealed: Sealed, context: str) -> bytes:
        aead = self._keys.get(sealed.key_id)
        if aead is None:
            raise SealError(f"no key with id {sealed.key_id}")
        nonce, body = sealed.blob[:_NONCE_BYTES], sealed.blob[_NONCE_BYTES:]
        try:
            return aead.decrypt(nonce, body, context.encode())
        except Exception as exc:  # cryptography raises InvalidTag
            raise SealError("sealed data failed authentication") from exc

    def seal_json(self, value: Any, context: str) -> Sealed:
        return self.seal(json.dumps(value, separators=(",", ":")).encode(), context)

    def open_json(self, sealed: Sealed, context: str) -> Any:
        return json.loads(self.open(sealed, context))
