"""HMAC-signed, expiring download links for results, served by the API itself."""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache

from cloudtap.config import Settings
from cloudtap.crypto.keys import derive_key


@dataclass(frozen=True)
class SignedLink:
    url: str
    expires: datetime


@lru_cache(maxsize=8)
def _download_key(master_key: bytes) -> bytes:
    return derive_key(master_key, "result-download")


# Result ids are UUIDs; a longer id is no result's, refused before any work.
MAX_RESULT_ID_LENGTH = 64


def _compute_signature(master_key: bytes, result_id: str, expires: int) -> str:
    mac = hmac.new(_download_key(master_key), f"{result_id}.{expires}".encode(), hashlib.sha256)
    return base64.urlsafe_b64encode(mac.digest()).decode().rstrip("=")


# A poll's GET signs every result's link; links are stable within a minute (see
# ``sign_download``), so repeated reads reuse the signature. Only links the server signs
# (its own result ids) are cached: a checked link's id is the caller's and is never kept.
@lru_cache(maxsize=65536)
def _signature_for(master_key: bytes, result_id: str, expires: int) -> str:
    return _compute_signature(master_key, result_id, expires)


def sign_download(
    settings: Settings, result_id: str, base_url: str, ttl_seconds: int | None = None
) -> SignedLink:
    ttl = settings.signed_url_ttl_seconds if ttl_seconds is None else ttl_seconds
    # Rounded up to the minute so repeated reads of a result return a stable link.
    expires = (int(time.time()) + ttl + 59) // 60 * 60
    return _link(settings.master_key, result_id, base_url.rstrip("/"), expires)


@lru_cache(maxsize=65536)
def _link(master_key: bytes, result_id: str, base_url: str, expires: int) -> SignedLink:
    signature = _signature_for(master_key, result_id, expires)
    # Nothing to escape: ``expires`` is a number, the signature urlsafe base64.
    return SignedLink(
        url=f"{base_url}/results/{result_id}/download?expires={expires}&signature={signature}",
        expires=datetime.fromtimestamp(expires, UTC),
    )


def check_signature(settings: Settings, result_id: str, expires: int, signature: str) -> bool:
    """Whether a link is one this server signed and still valid. Keeps nothing: anyone
    may call it, with ids of their choosing."""
    if expires < time.time() or len(result_id) > MAX_RESULT_ID_LENGTH:
        return False
    expected = _compute_signature(settings.master_key, result_id, expires)
    return hmac.compare_digest(expected.encode(), signature.encode("utf-8", "replace"))
