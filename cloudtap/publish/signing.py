"""HMAC-signed, expiring download links for results, served by the API itself."""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import urlencode

from cloudtap.config import Settings
from cloudtap.crypto.keys import derive_key


@dataclass(frozen=True)
class SignedLink:
    url: str
    expires: datetime


def _signature(settings: Settings, result_id: str, expires: int) -> str:
    key = derive_key(settings.master_key, "result-download")
    mac = hmac.new(key, f"{result_id}.{expires}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(mac).decode().rstrip("=")


def sign_download(
    settings: Settings, result_id: str, base_url: str, ttl_seconds: int | None = None
) -> SignedLink:
    ttl = settings.signed_url_ttl_seconds if ttl_seconds is None else ttl_seconds
    # Rounded up to the minute so repeated reads of a result return a stable link.
    expires = (int(time.time()) + ttl + 59) // 60 * 60
    query = urlencode({"expires": expires, "signature": _signature(settings, result_id, expires)})
    return SignedLink(
        url=f"{base_url.rstrip('/')}/results/{result_id}/download?{query}",
        expires=datetime.fromtimestamp(expires, UTC),
    )


def check_signature(settings: Settings, result_id: str, expires: int, signature: str) -> bool:
    if expires < time.time():
        return False
    expected = _signature(settings, result_id, expires)
    return hmac.compare_digest(expected.encode(), signature.encode())
