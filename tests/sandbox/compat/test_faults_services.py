"""The fault scenario accounts as a real HTTP client sees them through the live proxy."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest

from cloudtap.config import Settings
from cloudtap.sandbox.accounts.model import ContentSpec, FaultSpec, SandboxAccount
from cloudtap.sandbox.runtime import RunningSandbox, start_sandbox
from cloudtap.sandbox.world import WEB_SESSION_COOKIE, SandboxWorld

pytestmark = pytest.mark.compat


def _client(sandbox: RunningSandbox, apple_id: str) -> tuple[httpx.Client, str]:
    account = sandbox.world.account(apple_id)
    assert account is not None
    host = "https://p61-contacts.icloud.com"  # hosts route on the service name
    client = httpx.Client(
        proxy=sandbox.proxy_url,
        verify=str(sandbox.ca_file),
        cookies={WEB_SESSION_COOKIE: sandbox.world.issue_web_session(account).token},
        timeout=30,
    )
    return client, host


def test_throttled_account_gets_503_after_30_a_minute(sandbox: RunningSandbox) -> None:
    client, host = _client(sandbox, "busy@sandbox.cloudtap.dev")
    with client:
        codes = [client.get(f"{host}/co/mecard").status_code for _ in range(31)]
        refused = client.get(f"{host}/co/mecard")
    assert codes[:30] == [200] * 30 and codes[30] == 503
    assert refused.status_code == 503 and refused.headers.get("retry-after")


def test_flaky_account_downloads_drop_and_json_breaks(sandbox: RunningSandbox) -> None:
    client, host = _client(sandbox, "flaky@sandbox.cloudtap.dev")
    with client:
        answers = [client.get(f"{host}/co/mecard") for _ in range(10)]
        contacts = client.get(f"{host}/co/contacts", params={"limit": 0}).json()["contacts"]
        url = next(c["photo"]["url"] for c in contacts if "photo" in c)
        photo = client.get(url)  # small enough to arrive whole, but stamped to expire
    broken = []
    for answer in answers:
        try:
            answer.json()
        except json.JSONDecodeError:
            broken.append(answer)
    assert len(broken) == 1 and broken[0].status_code == 200
    assert "ctf_exp=" in url and photo.status_code == 200


def test_download_reset_mid_body_through_the_proxy(tmp_path: Path) -> None:
    account = SandboxAccount(
        apple_id="cut@sandbox.test",
        password="pw",
        scenario="reset",
        dsid="31000000001",
        first_name="Cut",
        last_name="Short",
        content=ContentSpec(seed=3, contacts=6),
        faults=FaultSpec(reset_after_bytes=500),
    )
    world = SandboxWorld.with_accounts([account])
    settings = Settings.from_env({"CLOUDTAP_DATA_DIR": str(tmp_path)})
    with start_sandbox(settings, world=world) as sandbox:
        client, host = _client(sandbox, account.apple_id)
        with client:
            contacts = client.get(f"{host}/co/contacts").json()["contacts"]
            url = next(c["photo"]["url"] for c in contacts if "photo" in c)
            with pytest.raises(httpx.RemoteProtocolError):
                client.get(url)
