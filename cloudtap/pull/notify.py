"""Telling the person running ``pull`` what needs them: a command hook (like icloudpd's
script hook), a webhook URL and e-mail through SMTP (``smtplib``; the server from
``CLOUDTAP_SMTP_URL``). A notification names the event, the Apple ID and a sentence we
wrote: never a password, a code or a token. Failing to notify is logged and never stops
the pull."""

from __future__ import annotations

import logging
import os
import shlex
import smtplib
import socket
import subprocess
from dataclasses import dataclass
from email.message import EmailMessage
from urllib.parse import unquote, urlsplit

import httpx

log = logging.getLogger(__name__)
TIMEOUT_SECONDS = 10.0

# The events, and what each tells the person.
LOGIN_NEEDED = "login-needed"
PULL_FAILED = "pull-failed"
TRUST_EXPIRING = "trust-expiring"
PULL_DONE = "pull-done"  # only with --notify-each-pull: the counts of a finished run

SMTP_URL_ENV = "CLOUDTAP_SMTP_URL"  # smtp://[user:password@]host[:port][?starttls=1] | smtps://
SMTP_FROM_ENV = "CLOUDTAP_SMTP_FROM"


@dataclass(frozen=True)
class Notifier:
    command: str | None = None
    url: str | None = None
    email: str | None = None  # the address told, through CLOUDTAP_SMTP_URL's server

    def send(self, event: str, apple_id: str, message: str) -> None:
        if self.command:
            self._run_command(event, apple_id, message)
        if self.url:
            self._post(event, apple_id, message)
        if self.email:
            self._mail(event, apple_id, message)

    def _mail(self, event: str, apple_id: str, message: str) -> None:
        server = urlsplit(os.environ.get(SMTP_URL_ENV) or "smtp://localhost:25")
        mail = EmailMessage()
        mail["Subject"] = f"cloudtap pull: {event} ({apple_id})"
        mail["From"] = os.environ.get(SMTP_FROM_ENV) or f"cloudtap@{socket.gethostname()}"
        mail["To"] = str(self.email)
        mail.set_content(f"{message}\n\n(event: {event}; Apple ID: {apple_id})\n")
        secure = server.scheme == "smtps"
        port = server.port or (465 if secure else 25)
        smtp_class = smtplib.SMTP_SSL if secure else smtplib.SMTP
        try:
            with smtp_class(server.hostname or "localhost", port, timeout=TIMEOUT_SECONDS) as smtp:
                if "starttls=1" in server.query:
                    smtp.starttls()
                if server.username:
                    smtp.login(unquote(server.username), unquote(server.password or ""))
                smtp.send_message(mail)
        except (OSError, smtplib.SMTPException) as exc:
            log.warning("the notification e-mail failed: %s", type(exc).__name__)

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
