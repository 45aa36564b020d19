"""The session form walks legacy 2SV too: choose a device, then send the code."""

from __future__ import annotations

import re

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
    assert "code-invalid" in wrong.text and "Apple rejected the verification code" in wrong.text
    done = client.post(
        "/dashboard/sessions", data={"csrf": csrf, "source": source.group(1), "code": "123456"}
    )
    assert "state-active" in done.text
    assert "Poll this session&#39;s data" in done.text or "Poll this session's data" in done.text
    # The password never reaches a page.
    for answer in (first, second, wrong, done):
        assert "sandbox-password" not in answer.text
