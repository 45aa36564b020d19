"""Notifications of ``cloudtap pull`` by e-mail (SMTP, through a real ``smtplib`` client
to a sink on loopback): what they say, what they never say, and that failing to send
never stops the pull."""

from __future__ import annotations

from pathlib import Path

import pytest

from cloudtap.pull.notify import LOGIN_NEEDED, SMTP_URL_ENV, Notifier
from tests.pull.sandbox_world import run_pull
from tests.support.smtp_sink import smtp_sink


def test_an_email_names_the_event_and_the_apple_id(monkeypatch: pytest.MonkeyPatch) -> None:
    with smtp_sink() as (port, mailbox):
        monkeypatch.setenv(SMTP_URL_ENV, f"smtp://127.0.0.1:{port}")
        Notifier(email="me@example.com").send(
            LOGIN_NEEDED, "a@icloud.com", "the login of a@icloud.com needs a code"
        )
        [mail] = mailbox.wait_for(1)
    assert mail["To"] == "me@example.com"
    assert mail["Subject"] == "cloudtap pull: login-needed (a@icloud.com)"
    body = mail.get_payload(decode=True)
    assert isinstance(body, bytes) and b"needs a code" in body


def test_an_unreachable_mail_server_does_not_stop_anything(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    with smtp_sink() as (port, _):
        pass  # closed again: nothing listens on the port now
    monkeypatch.setenv(SMTP_URL_ENV, f"smtp://127.0.0.1:{port}")
    Notifier(email="me@example.com").send(LOGIN_NEEDED, "a@icloud.com", "hello")
    assert "the notification e-mail failed" in caplog.text


def test_a_finished_pull_is_mailed_with_its_counts_and_no_secret(tmp_path: Path) -> None:
    from tests.cli.serve_process import cloudtap_env

    with smtp_sink() as (port, mailbox):
        env = cloudtap_env(tmp_path / "data", {
            SMTP_URL_ENV: f"smtp://127.0.0.1:{port}",
            "CLOUDTAP_PULL_KEY_DIR": str(tmp_path / "keys"),
        })  # fmt: skip
        done = run_pull(env, "--sandbox", "--to", str(tmp_path / "copy"), "--data-types",
                        "fmip.devices", "--notify-email", "me@example.com",
                        "--notify-each-pull")  # fmt: skip
        assert done.returncode == 0, done.stderr
        [mail] = mailbox.wait_for(1)
    assert mail["Subject"].startswith("cloudtap pull: pull-done (")
    body = mail.get_payload(decode=True)
    assert isinstance(body, bytes) and b"files (" in body and b"fetched" in body
    assert b"ct_sandbox_" not in body and b"password" not in body.lower()
