"""The dashboard's session cookie: a random session id, signed (itsdangerous), nothing else.

Who is signed in lives on the server (``cloudtap.store.dashboard_sessions``), so ending a
session there ends it everywhere, whatever copy of the cookie a browser kept. Before
sign-in the same kind of id names an anonymous visitor, whose sign-in form token is
derived from it (nothing is stored until someone signs in).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from dataclasses import dataclass

from itsdangerous import BadSignature, TimestampSigner

from cloudtap.config import Settings
from cloudtap.crypto.keys import derive_key

COOKIE_NAME = "cloudtap_dashboard"
COOKIE_PATH = "/dashboard"
LIFETIME_SECONDS = 12 * 3600
ANONYMOUS_LIFETIME_SECONDS = 3600


@dataclass(frozen=True)
class CookieSession:
    session_id: str
    csrf: str
    expires: int
    key_id: str | None = None
    organisation_id: str | None = None
    environment: str | None = None

    @property
    def signed_in(self) -> bool:
        return self.key_id is not None


def _signer(settings: Settings) -> TimestampSigner:
    key = derive_key(settings.master_key, "dashboard-cookie")
    return TimestampSigner(key, salt="cloudtap-dashboard-session", digest_method=hashlib.sha256)


def new_session_id() -> str:
    return secrets.token_urlsafe(32)


def sign(settings: Settings, session_id: str) -> str:
    return _signer(settings).sign(session_id).decode()


def unsign(settings: Settings, value: str | None) -> str | None:
    """The session id a cookie names, or None when it is missing, forged or too old."""
    if not value:
        return None
    try:
        raw = _signer(settings).unsign(value, max_age=LIFETIME_SECONDS)
    except BadSignature:  # also SignatureExpired
        return None
    return raw.decode()


def anonymous_csrf(settings: Settings, session_id: str) -> str:
    """The sign-in form's token for an anonymous visitor: bound to their cookie's id."""
    key = derive_key(settings.master_key, "dashboard-anonymous-csrf")
    return hmac.new(key, session_id.encode(), hashlib.sha256).hexdigest()


def anonymous_session(settings: Settings, session_id: str | None = None) -> CookieSession:
    session_id = session_id or new_session_id()
    return CookieSession(
        session_id=session_id,
        csrf=anonymous_csrf(settings, session_id),
        expires=int(time.time()) + ANONYMOUS_LIFETIME_SECONDS,
    )
