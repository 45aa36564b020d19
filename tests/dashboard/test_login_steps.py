"""The session form walks legacy 2SV too: choose a device, then send the code."""

from __future__ import annotations

import re
import time

import httpx

from tests.cli.serve_process import ServedAPI
from tests.dashboard.support import signed_in_client

CHOICE = re.compile(r'name="choice" value="([^"]+)"')


def test_two_step_verification_through_the_forms(served: ServedAPI) -> None:
    client, csrf = signed_in_client(served.url, served.token)
    first = client.post(
        "/dashboard/sessions",
        data={
            "csrf": csrf,
            "user": "2sv-owner",
            "apple_id": "2sv@sandbox.cloudtap.dev",
            "password": "sandbox-password",
        },
    )
    assert first.status_code == 200 and "choice-required" in first.text
    assert "Pick one of the account owner" in first.text
    choices = CHOICE.findall(first.text)
    assert len(choices) == 3  # the sandbox account's 2 SMS numbers and 1 iOS device
    source = re.search(r'name="source" value="([^"]+)"', first.text)
    assert source is not None
    second = client.post(
        "/dashboard/sessions",
        data={
            "csrf": csrf,
            "source": source.group(1),
            "choice": choices[0],
            "password": "sandbox-password",
        },
    )
    assert "code-required" in second.text and 'name="code"' in second.text
    wrong = client.post(
        "/dashboard/sessions", data={"csrf": csrf, "source": source.group(1), "code": "000000"}
    )
    assert "code-required" in wrong.text and "Apple rejected the verification code" in wrong.text
    done = client.post(
        "/dashboard/sessions", data={"csrf": csrf, "source": source.group(1), "code": "123456"}
    )
    assert "state-active" in done.text
    assert "Poll this session&#39;s data" in done.text or "Poll this session's data" in done.text
    # The password never reaches a page.
    for answer in (first, second, wrong, done):
        assert "sandbox-password" not in answer.text


def _start(client: httpx.Client, csrf: str, apple_id: str) -> str:
    answer = client.post(
        "/dashboard/sessions",
        data={"csrf": csrf, "apple_id": apple_id, "password": "sandbox-password"},
    )
    assert answer.status_code == 200
    return answer.text


def test_errors_are_explained_in_plain_words(served: ServedAPI) -> None:
    client, csrf = signed_in_client(served.url, served.token)
    adp = _start(client, csrf, "adp@sandbox.cloudtap.dev")
    locked = _start(client, csrf, "locked@sandbox.cloudtap.dev")
    assert "adp-enabled" in adp and "Access iCloud Data on the Web" in adp
    assert "account-locked" in locked and "iforgot.apple.com" in locked
    # A task error, on the poll's live progress.
    active = _start(client, csrf, "callkit-sync-off@sandbox.cloudtap.dev")
    session = re.search(r"<h1>Session <code>([^<]+)</code>", active)
    assert session is not None and "state-active" in active
    poll = client.post(
        "/dashboard/polls",
        data={"csrf": csrf, "session": session.group(1), "data_types": "callkit.calls"},
    )
    progress_url = f"{poll.url.path}/progress"
    for _ in range(120):
        progress = client.get(progress_url)
        if progress.headers["x-settled"] == "1":
            break
        time.sleep(0.5)
    assert progress.headers["x-settled"] == "1"
    assert "callkit-sync-disabled" in progress.text
    assert "turns call history sync back on" in progress.text


def test_a_code_by_text_message_instead_of_the_trusted_device(served: ServedAPI) -> None:
    client, csrf = signed_in_client(served.url, served.token)
    first = client.post(
        "/dashboard/sessions",
        data={
            "csrf": csrf,
            "user": "sms-owner",
            "apple_id": "2fa-device@sandbox.cloudtap.dev",
            "password": "sandbox-password",
        },
    )
    assert "code-required" in first.text and "sent to: Trusted Device" in first.text
    [phone] = CHOICE.findall(first.text)
    source = re.search(r'name="source" value="([^"]+)"', first.text)
    assert source is not None
    texted = client.post(
        "/dashboard/sessions",
        data={
            "csrf": csrf,
            "source": source.group(1),
            "choice": phone,
            "password": "sandbox-password",
        },
    )
    assert "code-required" in texted.text and f"sent to: {phone}" in texted.text
    done = client.post(
        "/dashboard/sessions", data={"csrf": csrf, "source": source.group(1), "code": "123456"}
    )
    assert "state-active" in done.text
