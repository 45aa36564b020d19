"""Everything that makes up one Apple web session, and its opaque, serialisable form.

Apple hands session data back in response headers (``scnt``, session id, session and
trust tokens, account country) and in ``*.icloud.com`` cookies. :class:`AppleSession`
collects both so a later process can resume the session from the state dict alone.
The state holds secrets: the caller seals it, and nothing here ever logs or reprs them.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

import httpx

STATE_VERSION = 1

# Response header -> attribute. Every Apple response may refresh any of these.
_SESSION_HEADERS = {
    "scnt": "scnt",
    "x-apple-id-session-id": "session_id",
    "x-apple-session-token": "session_token",
    "x-apple-twosv-trust-token": "trust_token",
    "x-apple-id-account-country": "account_country",
    "x-apple-auth-attributes": "auth_attributes",
}

_SECRET_FIELDS = ("scnt", "session_id", "session_token", "trust_token", "auth_attributes")


@dataclass
class AppleSession:
    apple_id: str
    client_id: str = field(default_factory=lambda: str(uuid.uuid1()).upper())
    scnt: str | None = None
    session_id: str | None = None
    session_token: str | None = None
    trust_token: str | None = None
    account_country: str | None = None
    auth_attributes: str | None = None
    # Apple's .com.cn hosts for mainland-China accounts.
    china: bool = False
    dsid: str | None = None
    # Service name -> base URL, from accountLogin's ``webservices``.
    webservices: dict[str, str] = field(default_factory=dict)
    # Non-secret account facts (names, country, hsaVersion...) from ``dsInfo``.
    account: dict[str, Any] = field(default_factory=dict)
    cookies: httpx.Cookies = field(default_factory=httpx.Cookies)

    def __repr__(self) -> str:
        shown = {name: ("<set>" if getattr(self, name) else None) for name in _SECRET_FIELDS}
        return (
            f"AppleSession(apple_id={self.apple_id!r}, dsid={self.dsid!r}, china={self.china}, "
            f"secrets={shown}, cookies={len(self.cookies.jar)})"
        )

    def absorb(self, response: httpx.Response) -> None:
        """Keep whatever session data Apple sent back with ``response``."""
        for header, attribute in _SESSION_HEADERS.items():
            value = response.headers.get(header)
            if value:
                setattr(self, attribute, value)

    def idmsa_headers(self) -> dict[str, str]:
        headers: dict[str, str] = {}
        if self.scnt:
            headers["scnt"] = self.scnt
        if self.session_id:
            headers["X-Apple-ID-Session-Id"] = self.session_id
        return headers

    def to_state(self) -> dict[str, Any]:
        return {
            "version": STATE_VERSION,
            "apple_id": self.apple_id,
            "client_id": self.client_id,
            "scnt": self.scnt,
            "session_id": self.session_id,
            "session_token": self.session_token,
            "trust_token": self.trust_token,
            "account_country": self.account_country,
            "auth_attributes": self.auth_attributes,
            "china": self.china,
            "dsid": self.dsid,
            "webservices": dict(self.webservices),
            "account": dict(self.account),
            "cookies": [
                {"name": c.name, "value": c.value, "domain": c.domain, "path": c.path}
                for c in self.cookies.jar
            ],
        }

    @classmethod
    def from_state(cls, state: dict[str, Any]) -> AppleSession:
        cookies = httpx.Cookies()
        for cookie in state.get("cookies") or []:
            if isinstance(cookie, dict) and "name" in cookie and "value" in cookie:
                cookies.set(
                    str(cookie["name"]),
                    str(cookie["value"]),
                    domain=str(cookie.get("domain") or ""),
                    path=str(cookie.get("path") or "/"),
                )
        return cls(
            apple_id=str(state.get("apple_id") or ""),
            client_id=str(state.get("client_id") or uuid.uuid1()).upper(),
            scnt=state.get("scnt"),
            session_id=state.get("session_id"),
            session_token=state.get("session_token"),
            trust_token=state.get("trust_token"),
            account_country=state.get("account_country"),
            auth_attributes=state.get("auth_attributes"),
            china=bool(state.get("china")),
            dsid=state.get("dsid"),
            webservices=dict(state.get("webservices") or {}),
            account=dict(state.get("account") or {}),
            cookies=cookies,
        )

    def service_url(self, name: str) -> str | None:
        return self.webservices.get(name)
