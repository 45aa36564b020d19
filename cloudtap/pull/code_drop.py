"""Handing a 2FA code to a ``pull`` that has no terminal.

A pull that needs a code and cannot ask notifies, then waits for it from, in order: the
environment variable ``CLOUDTAP_PULL_CODE`` (containers), a file the person names with
``--code-file``, or the drop that ``cloudtap pull code <apple id> <code>`` writes from
another shell or process. The drop is a file per Apple ID in the user's own state
directory (``CLOUDTAP_PULL_CODE_DIR``, else ``$XDG_STATE_HOME/cloudtap/codes``), owner-only,
read once and removed: a code lives there for minutes at most.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from cloudtap.pull.login import LoginFailed, Prompter
from cloudtap.pull.notify import LOGIN_NEEDED, Notifier

CODE_ENV = "CLOUDTAP_PULL_CODE"
DIR_ENV = "CLOUDTAP_PULL_CODE_DIR"
CHECK_EVERY_SECONDS = 0.5


def drop_dir() -> Path:
    configured = os.environ.get(DIR_ENV)
    if configured:
        return Path(configured).expanduser()
    state = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(state) / "cloudtap" / "codes"


def drop_path(apple_id: str) -> Path:
    name = hashlib.sha256(apple_id.strip().lower().encode()).hexdigest()[:24]
    return drop_dir() / name


def put_code(apple_id: str, code: str) -> Path:
    """Leave ``code`` for the pull of ``apple_id`` (owner-only, written whole)."""
    path = drop_path(apple_id)
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd, temporary = tempfile.mkstemp(dir=path.parent, suffix=".tmp")  # 0600
    with os.fdopen(fd, "w") as out:
        out.write(code.strip())
    os.replace(temporary, path)
    return path


def _take(path: Path) -> str | None:
    try:
        code = path.read_text().strip()
    except FileNotFoundError:
        return None
    path.unlink(missing_ok=True)
    return code or None


@dataclass
class WaitingPrompter:
    """A prompter for a pull without a terminal: passwords come from the environment or
    the keyring only; a code is waited for (up to ``wait_seconds``) after notifying."""

    apple_id: str
    notifier: Notifier
    wait_seconds: float = 900.0
    code_file: Path | None = None
    say: Callable[[str], None] = print
    _stop: threading.Event = field(default_factory=threading.Event)

    def password(self, apple_id: str) -> str:
        raise LoginFailed("password-needed", {"message": "no terminal: use --password-env"})

    def choice(self, choices: list[str]) -> str:
        raise LoginFailed("choice-required", {"choices": choices})

    def code(self, apple_id: str, retry: bool) -> str:
        given = os.environ.pop(CODE_ENV, None)  # used once: a refused one is not retried
        if given and not retry:
            return given.strip()
        where = f"cloudtap pull code {apple_id} <code>"
        if self.code_file is not None:
            where += f", or write it to {self.code_file}"
        message = ("That code was not accepted. " if retry else "") + (
            f"Apple sent a verification code for {apple_id}; give it with: {where} "
            "(or give 'sms' instead of the code to have one texted)"
        )
        self.say(message)
        self.notifier.send(LOGIN_NEEDED, apple_id, message)
        sources = [p for p in (self.code_file, drop_path(apple_id)) if p is not None]
        deadline_passed = not self._wait_for_any(sources)
        if deadline_passed:
            raise LoginFailed("code-not-given", {"waited_seconds": self.wait_seconds})
        for path in sources:
            code = _take(path)
            if code:
                return code
        raise LoginFailed("code-not-given", {"waited_seconds": self.wait_seconds})

    def _wait_for_any(self, paths: list[Path]) -> bool:
        """Whether one of ``paths`` appeared before the wait ran out (checked twice a
        second: another process writes it, so there is nothing to be woken by)."""
        checks = max(1, int(self.wait_seconds / CHECK_EVERY_SECONDS))
        for _ in range(checks):
            if any(p.exists() for p in paths):
                return True
            if self._stop.wait(CHECK_EVERY_SECONDS):
                return False
        return any(p.exists() for p in paths)


def _is_prompter(prompter: WaitingPrompter) -> Prompter:
    return prompter  # WaitingPrompter satisfies the Prompter protocol (checked by mypy)
