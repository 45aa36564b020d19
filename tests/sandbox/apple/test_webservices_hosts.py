"""The sandbox's ``webservices`` name Apple's real service hosts, as captured.

Apple's ``accountLogin`` reply (icloudpd's ``fallback_raw_password.yml``, vendored under
``tests/fixtures/icloudpd``; every capture carries the same block) is the reference: same
keys, same per-key fields, same host names once the partition number is masked.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from cloudtap.sandbox.app import SandboxApp
from tests.icloud.captures import interactions, response_json
from tests.sandbox.apple.conftest import Apple

CASSETTE = Path(__file__).parents[2] / "fixtures" / "icloudpd" / "vcr" / "fallback_raw_password.yml"
_PARTITION = re.compile(r"^https://p\d+-")


def captured_webservices() -> dict[str, Any]:
    for interaction in interactions(CASSETTE):
        if interaction["request"]["uri"].endswith("/accountLogin"):
            return dict(response_json(interaction)["webservices"])
    raise AssertionError("the cassette has no accountLogin reply")


def masked(entry: dict[str, Any]) -> dict[str, Any]:
    """An entry with its partition numbers replaced by ``pNN``."""
    return {
        key: _PARTITION.sub("https://pNN-", value) if isinstance(value, str) else value
        for key, value in entry.items()
    }


@pytest.mark.parametrize(
    ("apple_id", "trusted"),
    [("no2fa@sandbox.cloudtap.dev", True), ("2fa-device@sandbox.cloudtap.dev", False)],
)
async def test_webservices_match_the_capture(apple: Apple, apple_id: str, trusted: bool) -> None:
    await apple.signin(apple_id)
    body = (await apple.account_login()).json()
    assert body["hsaTrustedBrowser"] is trusted
    ours = body["webservices"]
    theirs = captured_webservices()
    # Shared albums' host comes on top for accounts with photos (captures have none;
    # docs/apple-evidence.md, "Shared albums"), on the account's own partition.
    shared = ours.pop("sharedstreams")
    assert shared["url"] == ours["ckdatabasews"]["url"].replace("ckdatabasews", "sharedstreams")
    # Apple lists the same 28 services before and after the second factor.
    assert list(ours) == list(theirs)
    for key, entry in theirs.items():
        assert masked(ours[key]) == masked(entry), key


async def test_partition_hosts_are_served(apple: Apple) -> None:
    """Every pNN host the sandbox advertises for an emulated service reaches that service."""
    await apple.signin("no2fa@sandbox.cloudtap.dev")
    services = (await apple.account_login()).json()["webservices"]
    app = SandboxApp(apple.world)
    for key in ("findme", "contacts", "calendar", "account", "ckdatabasews", "sharedstreams"):
        host = services[key]["url"].removeprefix("https://").split(":")[0]
        assert re.match(r"^p\d+-", host), host
        assert app.app_for_host(host) is not None, f"{key}: {host} is not served"


def test_invented_host_names_are_not_served(apple: Apple) -> None:
    app = SandboxApp(apple.world)
    for invented in ("findme", "account"):
        assert app.app_for_host(f"p61-{invented}.icloud.com") is None, invented
