"""The dashboard's session cookie: signed (HMAC-SHA256), never holding the key's token.

It carries the key id, a fingerprint of the key's stored token hash (so rotating or
revoking the key ends the dashboard sessions signed in with the old token), the form
CSRF token and an expiry. Before sign-in it holds only a CSRF token, for the sign-in form.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import time
from dataclasses import dataclass

from cloudtap.config import Settings
from cloudtap.crypto.keys import derive_key

COOKIE_NAME = "cloudtap_dashboard"
COOKIE_PATH = "/dashboard"
LIFETIME_SECONDS = 12 * 3600


@dataclass(frozen=True)
class CookieSession:
    csrf: str
    expires: int
    key_id: str | None = None
    organisation_id: str | None = None
    environment: str | None = None
    token_fingerprint: str | None = None

    @property
    def signed_in(self) -> bool:
        return self.key_id is not None


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _mac(settings: Settings, payload: str) -> str:
    key = derive_key(settings.master_key, "dashboard-cookie")
    return _b64(hmac.new(key, payload.encode(), hashlib.sha256).digest())


def token_fingerprint(settings: Settings, token_hash: str) -> str:
    """Names the key's current token without revealing anything usable to sign in."""
    key = derive_key(settings.master_key, "dashboard-token-fingerprint")
    return _b64(hmac.new(key, token_hash.encode(), hashlib.sha256).digest()[:16])


def anonymous_session() -> CookieSession:
    return CookieSession(csrf=secrets.token_urlsafe(24), expires=int(time.time()) + 3600)


def signed_in_session(
    key_id: str, organisation_id: str, environment: str, fingerprint: str
) -> CookieSession:
    # A fresh CSRF token at sign-in, so one planted before it is worth nothing after.
    return CookieSession(
        csrf=secrets.token_urlsafe(24),
        expires=int(time.time()) + LIFETIME_SECONDS,
        key_id=key_id,
        organisation_id=organisation_id,
        environment=environment,
        token_fingerprint=fingerprint,
    )


def encode(settings: Settings, session: CookieSession) -> str:
    body = {"c": session.csrf, "e": session.expires}
    if session.key_id is not None:
        body |= {
            "k": session.key_id,
            "o": session.organisation_id,
            "v": session.environment,
            "f": session.token_fingerprint,
        }
    payload = _b64(json.dumps(body, separators=(",", ":")).encode())
    return f"{payload}.{_mac(settings, payload)}"


def decode(settings: Settings, value: str | None) -> CookieSession | None:
    """The cookie's session, or None when it is missing, forged or expired."""
    if not value or value.count(".") != 1:
        return None
    payload, mac = value.split(".")
    if not hmac.compare_digest(mac.encode(), _mac(settings, payload).encode()):
        return None
    try:
        body = json.loads(_unb64(payload))
        session = CookieSession(
            csrf=str(body["c"]),
            expires=int(body["e"]),
            key_id=body.get("k"),
            organisation_id=body.get("o"),
            environment=body.get("v"),
            token_fingerprint=body.get("f"),
        )
    except (ValueError, KeyError, TypeError):
        return None
    return session if session.expires > time.time() else None
