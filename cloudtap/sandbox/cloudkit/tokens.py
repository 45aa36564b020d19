"""Sync tokens that carry their own position, so ``changes/zone`` needs no server state.

A token is base64 of ``version | position | zone check``: decoding one tells the
server how far into a zone's deterministic change log the client has read. The zone
check stops a token of one zone (or account) being replayed against another.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import struct

from cloudtap.sandbox.cloudkit.container import CloudKitError

_VERSION = 1
_LAYOUT = struct.Struct(">BQ8s")


def zone_check(*scope: str) -> bytes:
    return hashlib.blake2b("\x1f".join(scope).encode(), digest_size=8).digest()


def encode_sync_token(position: int, check: bytes) -> str:
    return base64.b64encode(_LAYOUT.pack(_VERSION, position, check)).decode()


def decode_sync_token(token: str, check: bytes) -> int:
    """The position a token encodes; a foreign or garbled token is a client error."""
    try:
        raw = base64.b64decode(token, validate=True)
        version, position, token_check = _LAYOUT.unpack(raw)
    except (binascii.Error, struct.error, ValueError) as exc:
        raise CloudKitError("BAD_REQUEST", "Unknown sync continuation type") from exc
    if version != _VERSION or token_check != check:
        raise CloudKitError("BAD_REQUEST", "Sync token does not belong to this zone")
    return int(position)
