"""Master key parsing and derivation of purpose-specific sub-keys."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac


def decode_master_key(text: str) -> bytes:
    text = text.strip()
    try:
        raw = bytes.fromhex(text)
    except ValueError:
        try:
            raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
        except (binascii.Error, ValueError) as exc:
            raise ValueError("CLOUDTAP_MASTER_KEY must be 32 bytes, hex or base64") from exc
    if len(raw) != 32:
        raise ValueError("CLOUDTAP_MASTER_KEY must be 32 bytes, hex or base64")
    return raw


def derive_key(master: bytes, purpose: str) -> bytes:
    """A sub-key per purpose, so one leaked use cannot forge another."""
    return hmac.new(master, b"cloudtap:" + purpose.encode(), hashlib.sha256).digest()


def key_id(master: bytes) -> str:
    """A short, non-secret fingerprint stored beside sealed data so keys can rotate."""
    return hashlib.sha256(b"cloudtap-key-id:" + master).hexdigest()[:12]
