"""Telling the person running ``pull`` what needs them: a command hook (like icloudpd's
script hook) and a webhook URL. A notification names the event, the Apple ID and a
sentence we wrote: never a password, a code or a token. Failing to notify is logged and
never stops the pull."""

from __future__ import annotations

import logging
import os
import shlex
import subprocess
from dataclasses import dataclass

import httpx

log = logging.getLogger(__name__)
TIMEOUT_SECONDS = 10.0

# The events, and what each tells the person.
LOGIN_NEEDED = "login-needed"
PULL_FAILED = "pull-failed"
TRUST_EXPIRING = "trust-expiring"


@dataclass(frozen=True)
class Notifier:
    command: str | None = None
    url: str | None = None

    def send(self, event: str, apple_id: str, message: str) -> None:
        if self.command:
            self._run_command(event, apple_id, message)
        if self.url:
            self._post(event, apple_id, message)

    def _run_command(self, event: str, apple_id: str, message: str) -> None:
        env = {
            **os.environ,
            "CLOUDTAP_EVENT": event,
            "CLOUDTAP_APPLE_ID": apple_id,
            "CLOUDTAP_MESSAGE": message,
        }
        try:
            # No shell: the command's words are split here; the facts travel in env.
            subprocess.run(
                shlex.split(str(self.command)), env=env, timeout=TIMEOUT_SECONDS, check=True
            )
        except (OSError, ValueError, subprocess.SubprocessError) as exc:
            log.warning("the notification command failed: %s", type(exc).__name__)

    def _post(self, event: str, apple_id: str, message: str) -> None:
        body = {"event": event, "apple_id": apple_id, "message": message}
        try:
            httpx.post(str(self.url), json=body, timeout=TIMEOUT_SECONDS).raise_for_status()
        except httpx.HTTPError as exc:
            log.warning("the notification webhook failed: %s", type(exc).__name__)
