"""ADP with web access on through the dashboard and the CLI, as a person uses them: the
session page says the owner must allow the login on a trusted device; the owner's
approval (``cloudtap sandbox approve``, run as a user runs it) lets the login finish."""

from __future__ import annotations

import re
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.cli.serve_process import ServedAPI, cloudtap_command, cloudtap_env, served_api
from tests.dashboard.support import signed_in_client

APPLE_ID = "adp-web@sandbox.cloudtap.dev"


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServedAPI]:
    """``cloudtap serve`` whose sandbox device never allows by itself: only the CLI does."""
    data_dir: Path = tmp_path_factory.mktemp("adp-consent") / "data"
    with served_api(data_dir, extra_env={"CLOUDTAP_SANDBOX_CONSENT_DELAY": "3600"}) as api:
        yield api


def test_the_session_page_says_what_to_do_and_approve_finishes_it(served: ServedAPI) -> None:
    client, csrf = signed_in_client(served.url, served.token)
    started = client.post(
        "/dashboard/sessions",
        data={"csrf": csrf, "apple_id": APPLE_ID, "password": "sandbox-password"},
    )
    found = re.search(r"<h1>Session <code>([^<]+)</code>", started.text)
    assert found is not None, started.text[-2000:]
    state_url = f"/dashboard/sessions/{found.group(1)}/state"
    deadline = time.monotonic() + 60
    state = client.get(state_url)
    while "Waiting for the account owner" not in state.text and time.monotonic() < deadline:
        state = client.get(state_url)
    assert "Waiting for the account owner" in state.text, state.text
    assert "trusted Apple devices" in state.text and "state-pending" in state.text

    approved = subprocess.run(
        [*cloudtap_command(), "sandbox", "approve", APPLE_ID],
        env=cloudtap_env(served.data_dir),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert approved.returncode == 0, approved.stderr
    assert f"approved on {APPLE_ID}" in approved.stdout

    deadline = time.monotonic() + 60
    while state.headers.get("x-settled") != "1" and time.monotonic() < deadline:
        state = client.get(state_url)
    assert "state-active" in state.text, state.text


def test_approve_names_what_it_cannot_do(served: ServedAPI) -> None:
    refused = subprocess.run(
        [*cloudtap_command(), "sandbox", "approve", "no2fa@sandbox.cloudtap.dev"],
        env=cloudtap_env(served.data_dir),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert refused.returncode == 1
    assert "no web-access consent to approve" in refused.stderr
