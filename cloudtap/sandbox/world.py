"""The sandbox's shared state: accounts and the web sessions issued to them.

Each emulated Apple host (idmsa, setup, CloudKit, content) is a separate app; they share
one ``SandboxWorld`` the way Apple's hosts share one account database. What the world
learns after it is built (sessions, sign-ins, clients' edits) is announced through
``changed(part)``, so a deployment can keep it across restarts (``cloudtap.sandbox.memory``).
"""

from __future__ import annotations

import secrets
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from cloudtap.sandbox.accounts.model import SandboxAccount
from cloudtap.sandbox.apple.consent import ConsentBook
from cloudtap.sandbox.apple.lockouts import SigninLockouts
from cloudtap.sandbox.apple.signins import SignInBook
from cloudtap.sandbox.contact_log import ContactLog
from cloudtap.sandbox.event_log import EventLog
from cloudtap.sandbox.tally import RequestTally

# The cookie that carries the iCloud web session on every *.icloud.com request.
WEB_SESSION_COOKIE = "X-APPLE-WEBAUTH-TOKEN"

# The parts of what a world learns after it is built, announced apart so that whoever
# remembers them re-reads only the part that changed.
WEB_SESSIONS = "web_sessions"
SIGN_INS = "sign_ins"  # sign-ins, trust tokens, accepted terms
PHOTOS_EDITS = "photos_edits"  # records/modify
DELETIONS = "deletions"  # records deleted by a device stand-in
PASSWORDS = "passwords"  # which password_changes accounts had a session, changed it
PARTS = (WEB_SESSIONS, SIGN_INS, PHOTOS_EDITS, DELETIONS, PASSWORDS)


@dataclass
class WebSession:
    token: str
    apple_id: str
    created: float
    expires: float


@dataclass
class SandboxWorld:
    accounts: dict[str, SandboxAccount] = field(default_factory=dict)
    web_session_ttl: float = 3600.0
    # The sandbox's fast clock for trust: an account's ``trust_lifetime`` times this
    # (tests set 0.1 to live trust-60s@'s minute in six seconds).
    trust_time_scale: float = 1.0
    seed: int = 1  # makes per-account secrets (SRP salts) deterministic
    # idmsa/setup memory: SRP exchanges, sign-ins awaiting 2FA, trust tokens.
    sign_ins: SignInBook = field(default_factory=SignInBook)
    # Told which part changed after every change worth remembering (one of ``PARTS``);
    # None: a world kept in memory only, as in tests.
    on_change: Callable[[str], None] | None = field(default=None, repr=False)
    # lockout@'s growing sign-in lockouts, and requests counted per account for tests.
    signin_lockouts: SigninLockouts = field(default_factory=SigninLockouts)
    tally: RequestTally = field(default_factory=RequestTally)
    # ADP with web access on: consent requests and approvals of trusted devices.
    consents: ConsentBook = field(default_factory=ConsentBook)
    # Contacts added, edited or deleted since the world was built (test hooks below).
    contact_log: ContactLog = field(default_factory=ContactLog)
    # Calendar events edited or deleted since the world was built (test hooks below).
    event_log: EventLog = field(default_factory=EventLog)
    # Shared-album photos removed since the world was built: (dsid, album guid, position
    # in the generated album). Test hook below.
    shared_photo_removals: set[tuple[str, str, int]] = field(default_factory=set)
    # Comments the account holder added to shared-album photos: (dsid, album guid,
    # generated position, text). Test hook below.
    shared_comments_added: list[tuple[str, str, int, str]] = field(default_factory=list)
    # Accounts given a web session since the world was built, and those whose owner has
    # changed the password since (``SandboxAccount.password_changes``).
    _had_session: set[str] = field(default_factory=set)
    _password_changed: set[str] = field(default_factory=set)
    _sessions: dict[str, WebSession] = field(default_factory=dict)
    _cloudkit_calls: dict[str, int] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        self.sign_ins.on_change = lambda: self.changed(SIGN_INS)

    def changed(self, part: str) -> None:
        if self.on_change is not None:
            self.on_change(part)

    @classmethod
    def with_accounts(cls, accounts: Iterable[SandboxAccount], seed: int = 1) -> SandboxWorld:
        return cls(accounts={a.apple_id.lower(): a for a in accounts}, seed=seed)

    def account(self, apple_id: str) -> SandboxAccount | None:
        return self.accounts.get(apple_id.strip().lower())

    def account_by_dsid(self, dsid: str) -> SandboxAccount | None:
        return next((a for a in self.accounts.values() if a.dsid == dsid), None)

    def issue_web_session(self, account: SandboxAccount) -> WebSession:
        now = time.time()
        expires = now + self.web_session_ttl
        trust_end = self.sign_ins.trust_end(account.apple_id)
        if account.trust_lifetime is not None:
            # An account whose trust is short: its web sessions end with the trust.
            expires = min(expires, trust_end if trust_end is not None else now)
        session = WebSession(
            token=secrets.token_urlsafe(32),
            apple_id=account.apple_id.lower(),
            created=now,
            expires=expires,
        )
        with self._lock:
            self._sessions[session.token] = session
            first_session = session.apple_id not in self._had_session
            self._had_session.add(session.apple_id)
        self.changed(WEB_SESSIONS)
        if first_session and account.password_changes:
            self.changed(PASSWORDS)
        return session

    def lock_account(self, apple_id: str) -> None:
        """Test hook: Apple locks the account for security reasons; its sessions, sign-ins
        and trusted browsers end, and sign-ins are refused (403 ``-20209``)."""
        key = apple_id.strip().lower()
        self.accounts[key] = replace(self.accounts[key], locked=True)
        self.expire_sessions_of(key)
        self.sign_ins.end_sign_ins(key)
        self.sign_ins.revoke_trust(key)

    def add_contact(self, apple_id: str) -> int:
        """Test hook: the owner adds a contact (the book's next generated one); its index."""
        key = apple_id.strip().lower()
        with self._lock:
            account = self.accounts[key]
            index = account.content.contacts
            content = replace(account.content, contacts=index + 1)
            self.accounts[key] = replace(account, content=content)
        self.contact_log.record(key, index, "added")
        return index

    def edit_contact(self, apple_id: str, index: int) -> None:
        """Test hook: the owner edits a contact (its note and etag change)."""
        self.contact_log.record(apple_id, index, "edited")

    def delete_contact(self, apple_id: str, index: int) -> None:
        """Test hook: the owner deletes a contact."""
        self.contact_log.record(apple_id, index, "deleted")

    def edit_event(self, apple_id: str, index: int) -> None:
        """Test hook: the owner edits an event (its title, etag and calendar's ctag change)."""
        self.event_log.edit(apple_id, index)

    def delete_event(self, apple_id: str, index: int) -> None:
        """Test hook: the owner deletes an event (a whole series, for a recurring one)."""
        self.event_log.delete(apple_id, index)

    def remove_shared_photo(self, apple_id: str, album_guid: str, position: int) -> None:
        """Test hook: a contributor removes a photo (its generated position) from a shared
        album; the album's later photos move up one place."""
        account = self.accounts[apple_id.strip().lower()]
        with self._lock:
            self.shared_photo_removals.add((account.dsid, album_guid, position))

    def restore_shared_photo(self, apple_id: str, album_guid: str, position: int) -> None:
        """Test hook: undoes ``remove_shared_photo`` (a test leaves the world as it was)."""
        account = self.accounts[apple_id.strip().lower()]
        with self._lock:
            self.shared_photo_removals.discard((account.dsid, album_guid, position))

    def comment_shared_photo(
        self, apple_id: str, album_guid: str, position: int, text: str
    ) -> None:
        """Test hook: the account holder comments on a shared album's photo."""
        account = self.accounts[apple_id.strip().lower()]
        with self._lock:
            self.shared_comments_added.append((account.dsid, album_guid, position, text))

    def uncomment_shared_photo(self, apple_id: str, album_guid: str, position: int) -> None:
        """Test hook: the comments ``comment_shared_photo`` added to that photo go again."""
        dsid = self.accounts[apple_id.strip().lower()].dsid
        with self._lock:
            self.shared_comments_added[:] = [
                c for c in self.shared_comments_added if c[:3] != (dsid, album_guid, position)
            ]

    def password_changed(self, account: SandboxAccount) -> bool:
        """Whether ``account``'s old password no longer works. A ``password_changes``
        account's owner changes it before the next sign-in after its first session,
        which ends every session and trusted browser it had."""
        apple_id = account.apple_id.lower()
        with self._lock:
            if not account.password_changes or apple_id not in self._had_session:
                return False
            first_time = apple_id not in self._password_changed
            self._password_changed.add(apple_id)
        if first_time:
            self.changed(PASSWORDS)
            self.expire_sessions_of(apple_id)
            self.sign_ins.end_sign_ins(apple_id)
            self.sign_ins.revoke_trust(apple_id)
        return True

    def end_web_session(self, token: str) -> None:
        with self._lock:
            self._sessions.pop(token, None)
        self.changed(WEB_SESSIONS)

    def expire_sessions_of(self, apple_id: str) -> None:
        """Test hook: Apple ended every web session of this account (clients see 421)."""
        with self._lock:
            for token in [t for t, s in self._sessions.items() if s.apple_id == apple_id.lower()]:
                del self._sessions[token]
        self.changed(WEB_SESSIONS)

    def export_passwords(self) -> dict[str, list[str]]:
        """The ``password_changes`` accounts' progress, as plain data."""
        with self._lock:
            had = [a for a in self._had_session if self._changes_password(a)]
            return {"had_session": sorted(had), "changed": sorted(self._password_changed)}

    def restore_passwords(self, saved: Mapping[str, Any]) -> None:
        with self._lock:
            self._had_session.update(saved.get("had_session", []))
            self._password_changed.update(saved.get("changed", []))

    def _changes_password(self, apple_id: str) -> bool:
        account = self.accounts.get(apple_id)
        return account is not None and account.password_changes

    def export_web_sessions(self) -> list[dict[str, Any]]:
        """The live web sessions, as plain data (expired ones are dropped)."""
        now = time.time()
        with self._lock:
            return [dict(vars(s)) for s in self._sessions.values() if s.expires > now]

    def restore_web_sessions(self, sessions: Iterable[Mapping[str, Any]]) -> None:
        restored = [WebSession(**dict(s)) for s in sessions]
        with self._lock:
            self._sessions.update({s.token: s for s in restored})

    def count_cloudkit_call(self, apple_id: str) -> int:
        """How many CloudKit requests this account has made, this one included."""
        with self._lock:
            count = self._cloudkit_calls.get(apple_id.lower(), 0) + 1
            self._cloudkit_calls[apple_id.lower()] = count
        return count

    def account_for_cookies(self, cookies: Mapping[str, str]) -> SandboxAccount | None:
        """The account whose live web session the request's cookies carry, if any."""
        token = cookies.get(WEB_SESSION_COOKIE, "").strip('"')
        with self._lock:
            session = self._sessions.get(token)
            if session is None or session.expires < time.time():
                return None
        return self.account(session.apple_id)
