"""What idmsa and setup remember between calls: SRP exchanges, sign-ins, trust tokens.

A *sign-in* starts at ``signin/complete`` with a good password and is named by the
``X-Apple-Session-Token`` the client hands to ``accountLogin`` (and by the
``X-Apple-ID-Session-Id``/``scnt`` headers it sends back to idmsa). It becomes *trusted*
once the second factor is done; trust tokens from ``2sv/trust`` make later sign-ins of
the same account trusted straight away. Everything expires, so memory stays bounded.
"""

from __future__ import annotations

import secrets
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from cloudtap.sandbox.apple.srp_server import SrpChallenge

SIGN_IN_TTL = 3600.0
SRP_TTL = 300.0
TRUST_TOKEN_TTL = 45 * 24 * 3600.0  # users report 30-60 days
_PRUNE_EVERY = 30.0  # seconds between sweeps, so heavy sign-in loads stay linear


def _now() -> float:
    return time.time()  # looked up per call, so tests can move the clock


@dataclass
class PendingSrp:
    apple_id: str | None  # None: no such account (the exchange can only fail)
    challenge: SrpChallenge
    scnt: str
    created: float = field(default_factory=_now)


@dataclass
class SignIn:
    apple_id: str
    session_id: str
    scnt: str
    tokens: list[str] = field(default_factory=list)
    needs_repair: bool = False
    second_factor_done: bool = False  # code verified, trust token shown, or none needed
    trusted: bool = False  # browser trusted: accountLogin reports hsaTrustedBrowser
    sms_phone_id: int | None = None  # the phone a code was sent to
    created: float = field(default_factory=_now)

    @property
    def token(self) -> str:
        return self.tokens[-1]


@dataclass
class TrustToken:
    apple_id: str
    expires: float


class SignInBook:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._srp: dict[str, PendingSrp] = {}
        self._by_token: dict[str, SignIn] = {}
        self._by_session_id: dict[str, SignIn] = {}
        self._trust: dict[str, TrustToken] = {}
        self._terms_accepted: set[str] = set()
        self._last_prune = 0.0
        # Told after each change (the world passes it on to whoever remembers it).
        self.on_change: Callable[[], None] | None = None

    def _changed(self) -> None:
        if self.on_change is not None:
            self.on_change()

    # --- SRP exchanges -------------------------------------------------------------
    def add_srp(self, pending: PendingSrp) -> str:
        key = f"e-{secrets.token_hex(4)}-{secrets.token_hex(16)}:PRN"
        with self._lock:
            self._prune()
            self._srp[key] = pending
        return key

    def take_srp(self, key: str) -> PendingSrp | None:
        with self._lock:
            pending = self._srp.pop(key, None)
        if pending is None or pending.created + SRP_TTL < time.time():
            return None
        return pending

    # --- sign-ins --------------------------------------------------------------------
    def start(self, apple_id: str, scnt: str) -> SignIn:
        sign_in = SignIn(apple_id=apple_id.lower(), session_id=secrets.token_hex(24), scnt=scnt)
        with self._lock:
            self._prune()
            self._by_session_id[sign_in.session_id] = sign_in
        self.new_token(sign_in)  # announces the change
        return sign_in

    def new_token(self, sign_in: SignIn) -> str:
        """Apple rotates the session token after each verification step."""
        token = "ct-session-" + secrets.token_urlsafe(48)
        with self._lock:
            sign_in.tokens.append(token)
            self._by_token[token] = sign_in
        self._changed()
        return token

    def by_token(self, token: str) -> SignIn | None:
        return self._fresh(self._by_token.get(token))

    def by_headers(self, session_id: str | None, scnt: str | None) -> SignIn | None:
        """The sign-in an idmsa call belongs to (it echoes our session id and scnt)."""
        if session_id:
            found = self._fresh(self._by_session_id.get(session_id))
            if found is not None:
                return found
        if scnt:
            with self._lock:
                candidates = [s for s in self._by_session_id.values() if s.scnt == scnt]
            return self._fresh(candidates[-1]) if candidates else None
        return None

    def of_account(self, apple_id: str) -> list[SignIn]:
        """This account's live sign-ins, oldest first (for tests and the control host)."""
        with self._lock:
            found = [s for s in self._by_session_id.values() if s.apple_id == apple_id.lower()]
        return [s for s in found if self._fresh(s) is not None]

    # --- trust tokens ----------------------------------------------------------------
    def issue_trust_token(self, apple_id: str, lifetime: float | None = None) -> str:
        token = "ct-trust-" + secrets.token_urlsafe(48)
        expires = time.time() + (TRUST_TOKEN_TTL if lifetime is None else lifetime)
        with self._lock:
            self._trust[token] = TrustToken(apple_id.lower(), expires)
        self._changed()
        return token

    def trust_end(self, apple_id: str) -> float | None:
        """When this account's latest live trust ends (None: no trusted browser)."""
        now = time.time()
        with self._lock:
            ends = [
                e.expires
                for e in self._trust.values()
                if e.apple_id == apple_id.lower() and e.expires > now
            ]
        return max(ends) if ends else None

    def trusts(self, apple_id: str, tokens: list[str]) -> bool:
        now = time.time()
        with self._lock:
            for token in tokens:
                entry = self._trust.get(token) if isinstance(token, str) else None
                if entry and entry.apple_id == apple_id.lower() and entry.expires > now:
                    return True
        return False

    def revoke_trust(self, apple_id: str) -> None:
        """Test hook: the user removed this browser from their trusted list."""
        with self._lock:
            for token in [t for t, e in self._trust.items() if e.apple_id == apple_id.lower()]:
                del self._trust[token]
        self._changed()

    def end_sign_ins(self, apple_id: str) -> None:
        """Test hook: forget this account's sign-ins (their session tokens stop working)."""
        with self._lock:
            for sign_in in [
                s for s in self._by_session_id.values() if s.apple_id == apple_id.lower()
            ]:
                del self._by_session_id[sign_in.session_id]
                for token in sign_in.tokens:
                    self._by_token.pop(token, None)
        self._changed()

    # --- terms -----------------------------------------------------------------------
    def accept_terms(self, apple_id: str) -> None:
        with self._lock:
            self._terms_accepted.add(apple_id.lower())
        self._changed()

    def terms_accepted(self, apple_id: str) -> bool:
        return apple_id.lower() in self._terms_accepted

    # --- memory across restarts ------------------------------------------------------
    def export(self) -> dict[str, Any]:
        """Sign-ins, trust tokens and accepted terms as plain data, expired ones dropped.
        SRP exchanges are not kept: they last seconds, and a client starts a new one."""
        now = time.time()
        with self._lock:
            sign_ins = [
                {**vars(s), "tokens": list(s.tokens)}
                for s in self._by_session_id.values()
                if s.created + SIGN_IN_TTL > now
            ]
            trust = {t: dict(vars(e)) for t, e in self._trust.items() if e.expires > now}
            terms = sorted(self._terms_accepted)
        return {"sign_ins": sign_ins, "trust": trust, "terms": terms}

    def restore(self, saved: Mapping[str, Any]) -> None:
        sign_ins = [SignIn(**s) for s in saved.get("sign_ins", [])]
        trust = {t: TrustToken(**e) for t, e in saved.get("trust", {}).items()}
        with self._lock:
            for sign_in in sign_ins:
                self._by_session_id[sign_in.session_id] = sign_in
                for token in sign_in.tokens:
                    self._by_token[token] = sign_in
            self._trust.update(trust)
            self._terms_accepted.update(saved.get("terms", []))

    # --- housekeeping ----------------------------------------------------------------
    def _fresh(self, sign_in: SignIn | None) -> SignIn | None:
        if sign_in is None or sign_in.created + SIGN_IN_TTL < time.time():
            return None
        return sign_in

    def _prune(self) -> None:
        """Drop expired entries (called under the lock on inserts, at most every 30 s)."""
        now = time.time()
        if now - self._last_prune < _PRUNE_EVERY:
            return
        self._last_prune = now
        for key in [k for k, p in self._srp.items() if p.created + SRP_TTL < now]:
            del self._srp[key]
        stale = [s for s in self._by_session_id.values() if s.created + SIGN_IN_TTL < now]
        for sign_in in stale:
            self._by_session_id.pop(sign_in.session_id, None)
            for token in sign_in.tokens:
                self._by_token.pop(token, None)
        for token in [t for t, e in self._trust.items() if e.expires < now]:
            del self._trust[token]
