"""HMAC-signed, expiring download links for results, served by the API itself."""

from __future__ import annotations

import base64
import hashlib
import hmac
import threading
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
# ``sign_download``), so repeated reads reuse them. Only the current minute's are kept:
# a link signed a minute ago has an older ``expires`` than any asked for now, and a
# cache bounded by count alone filled with such dead links in a long-running server
# (bench ``soak``). Only links the server signs (its own result ids) are kept: a
# checked link's id is the caller's and is never kept.
MAX_KEPT_LINKS = 65536


class _MinuteLinks:
    def __init__(self) -> None:
        self._minute = -1
        self._links: dict[tuple[bytes, str, str, int], SignedLink] = {}
        self._lock = threading.Lock()

    def get(self, master_key: bytes, result_id: str, base_url: str, expires: int) -> SignedLink:
        key = (master_key, result_id, base_url, expires)
        minute = int(time.time()) // 60
        with self._lock:
            if minute != self._minute or len(self._links) >= MAX_KEPT_LINKS:
                self._minute, self._links = minute, {}
            link = self._links.get(key)
        if link is None:
            link = _new_link(master_key, result_id, base_url, expires)
            with self._lock:
                self._links[key] = link
        return link

    def __len__(self) -> int:
        return len(self._links)


_KEPT_LINKS = _MinuteLinks()


def sign_download(
    settings: Settings, result_id: str, base_url: str, ttl_seconds: int | None = None
) -> SignedLink:
    ttl = settings.signed_url_ttl_seconds if ttl_seconds is None else ttl_seconds
    # Rounded up to the minute so repeated reads of a result return a stable link.
    expires = (int(time.time()) + ttl + 59) // 60 * 60
    return _KEPT_LINKS.get(settings.master_key, result_id, base_url.rstrip("/"), expires)


def _new_link(master_key: bytes, result_id: str, base_url: str, expires: int) -> SignedLink:
    signature = _compute_signature(master_key, result_id, expires)
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
