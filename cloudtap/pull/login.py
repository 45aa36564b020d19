"""The session flow: reuse the trusted session, else password → 2SV choice → 2FA code.

The password is read without echo, from an environment variable the user names, or from
the system keyring; it lives only in memory for the login calls and is never written.
The API seals Apple's session and trust state; the pull keeps only the session's id.
"""

from __future__ import annotations

import getpass
import os
import sys
from dataclasses import dataclass
from typing import Any, Protocol

from cloudtap.pull.client import JSON, CloudtapClient

KEYRING_SERVICE = "cloudtap"
SMS = "sms"  # typed (or dropped) instead of a code: ask Apple to text one
MAX_ATTEMPTS = 5


class LoginFailed(Exception):
    def __init__(self, error: str, info: dict[str, Any] | None = None) -> None:
        super().__init__(f"the Apple login failed: {error}")
        self.error = error
        self.info = info  # the session's error_info: when to retry, what Apple said


class Prompter(Protocol):
    def password(self, apple_id: str) -> str: ...
    def code(self, apple_id: str, retry: bool) -> str: ...
    def choice(self, choices: list[str]) -> str: ...


@dataclass(frozen=True)
class PasswordSources:
    """Where a password may come from, in order; ``None`` everywhere means: ask."""

    env_name: str | None = None
    use_keyring: bool = True

    def find(self, apple_id: str) -> str | None:
        if self.env_name:
            value = os.environ.get(self.env_name)
            if not value:
                raise LoginFailed(f"environment variable {self.env_name} is not set")
            return value
        if self.use_keyring:
            try:
                import keyring  # optional: only when installed
            except ImportError:
                return None
            try:
                found = keyring.get_password(KEYRING_SERVICE, apple_id)
            except Exception:  # no usable keyring backend
                return None
            return str(found) if found else None
        return None


class TerminalPrompter:
    """Asks on the terminal; the password and code are never echoed."""

    def password(self, apple_id: str) -> str:
        return getpass.getpass(f"Apple ID password for {apple_id}: ")

    def code(self, apple_id: str, retry: bool) -> str:
        prompt = "That code was not accepted. " if retry else ""
        return getpass.getpass(
            f"{prompt}Two-factor code sent to your devices (or 'sms' for a text message): "
        ).strip()

    def choice(self, choices: list[str]) -> str:
        for number, label in enumerate(choices, 1):
            print(f"  {number}. {label}")
        while True:
            answer = input("Send the verification code to (number): ").strip()
            if answer.isdigit() and 1 <= int(answer) <= len(choices):
                return choices[int(answer) - 1]


def active_session(
    client: CloudtapClient,
    user: str,
    apple_id: str,
    known_session: str | None,
    sources: PasswordSources,
    prompter: Prompter,
) -> JSON:
    """An active session: the one kept from last time if Apple still honours it, else a
    fresh login (which skips 2FA while the account's sealed trust lasts)."""
    if known_session:
        try:
            session = client.session(known_session)
        except Exception:
            session = {}
        if session.get("state") == "active":
            return session
    password = sources.find(apple_id) or prompter.password(apple_id)
    try:
        return _login(client, user, apple_id, password, prompter)
    finally:
        del password


def _say_what_to_do(session: JSON) -> None:
    """A login waiting for the account holder (ADP: approve on a trusted device)."""
    message = (session.get("error_info") or {}).get("message") or "Waiting for the account holder"
    print(f"{message}; waiting…", file=sys.stderr, flush=True)


def _login(
    client: CloudtapClient, user: str, apple_id: str, password: str, prompter: Prompter
) -> JSON:
    session = client.login(user, apple_id, password=password, on_waiting=_say_what_to_do)
    retry = False
    for _ in range(MAX_ATTEMPTS):
        error = session.get("error")
        if session.get("state") == "active":
            return session
        info = session.get("error_info") or {}
        if error in ("choice-required", "choice-invalid"):
            choice = prompter.choice([str(c) for c in info.get("choices", [])])
            session = client.login(user, apple_id, password=password, choice=choice)
        elif error in ("code-required", "code-invalid"):
            code = prompter.code(apple_id, retry or error == "code-invalid")
            retry = True
            if code.strip().lower() == SMS and info.get("choices"):
                # A code by text message instead, to Apple's default phone.
                session = client.login(user, apple_id, password=password, choice=SMS)
                retry = False
                continue
            session = client.login(user, apple_id, password=password, code=code)
        else:
            raise LoginFailed(str(error or session.get("state")), info or None)
    raise LoginFailed(str(session.get("error") or "too-many-attempts"))
