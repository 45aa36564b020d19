"""Advanced Data Protection through HTTP with the real iCloud client and the sandbox.

``adp-web@``: ADP on, "Access iCloud Data on the Web" on. The login asks the owner's
trusted device for consent; meanwhile the session is ``pending`` with no ``error`` and
``error_info.waiting_for == "device-consent"`` and ``session.consent_required`` is
emitted; once the device approves (``cloudtap sandbox approve``, here the sandbox's own
button) the session is ``active`` and an ``icpl.photos`` poll lists the account's assets.
The sandbox's device never approves by itself here (its clock is set to an hour), so
nothing in the test waits on time.
"""

from __future__ import annotations

import dataclasses
import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from cloudtap.config import set_settings
from cloudtap.icloud.auth import pcs
from cloudtap.icloud.services import cloudkit
from tests.api.live_sandbox import PASSWORD, LiveAPI, apple_id, live_api  # noqa: F401
from tests.sandbox.compat.photos_support import visible_assets
from tests.support.drive_world import world_tree

ADP_WEB = "adp-web"


@pytest.fixture(autouse=True)
def quick_consent_checks(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    # The client re-asks Apple every 5 s as the public clients do; the test's Apple
    # answers at once, so re-ask often. The wait's bound stays the product's.
    monkeypatch.setattr(pcs, "POLL_SECONDS", 0.05)
    yield


def _start_session(live: LiveAPI, name: str) -> dict[str, Any]:
    """``POST /sessions`` without awaiting: the login runs on while we look."""
    body = {
        "source": {"user": live.user, "type": "icloud.account", "identifier": apple_id(name)},
        "payload": {"password": PASSWORD},
    }
    response = live.client.post("/sessions", json=body, headers=live.tenant.headers)
    assert response.status_code == 201, response.text
    return dict(response.json())


def _session_when(
    live: LiveAPI, session_id: str, ready: Any, seconds: float = 60
) -> dict[str, Any]:
    deadline = time.monotonic() + seconds
    while True:
        session = live.client.get(f"/sessions/{session_id}", headers=live.tenant.headers).json()
        if ready(session) or time.monotonic() > deadline:
            return dict(session)


def _items(result: dict[str, Any]) -> list[dict[str, Any]]:
    return list(json.loads(Path(result["url"].removeprefix("local://")).read_bytes())["data"])


def test_adp_with_web_access_waits_for_the_device_then_polls(live: LiveAPI) -> None:
    live.sandbox.world.consents.approval_delay = 3600.0
    started = _start_session(live, ADP_WEB)
    waiting = _session_when(
        live, started["id"], lambda s: s["error_info"] or s["state"] != "pending"
    )
    assert (waiting["state"], waiting["error"]) == ("pending", None), waiting
    assert waiting["error_info"]["waiting_for"] == "device-consent"
    assert "trusted" in waiting["error_info"]["message"]
    announced = live.events("session", "consent_required")
    assert [e["id"] for e in announced] == [started["id"]]
    assert announced[0]["error_info"]["waiting_for"] == "device-consent"

    live.sandbox.world.consents.approve(apple_id(ADP_WEB))
    active = _session_when(live, started["id"], lambda s: s["state"] != "pending")
    assert (active["state"], active["error"], active["error_info"]) == ("active", None, None)

    poll = live.poll(active["id"], {"data_types": ["icpl.photos", "icloud_drive.files"]})
    assert poll["errors"]["data"] == [], poll["errors"]
    results = {r["identifier"]: r for r in poll["results"]["data"]}
    listed = sorted(item["filename"] for item in _items(results["icpl.photos"]))
    expected = sorted(a.filename for a in visible_assets(live.sandbox, apple_id(ADP_WEB)))
    assert listed == expected and len(expected) > 0
    # Drive opens with its own PCS cookie (requestPCS "iclouddrive").
    drive = world_tree(live.sandbox, ADP_WEB)
    assert len(_items(results["icloud_drive.files"])) == len(drive.nodes)


def test_adp_with_web_access_off_stays_adp_enabled(live: LiveAPI) -> None:
    session = live.session("adp")
    assert (session["state"], session["error"]) == ("failed", "adp-enabled")
    assert live.events("session", "consent_required") == []


def test_unapproved_consent_ends_in_a_typed_timeout(
    live: LiveAPI, monkeypatch: pytest.MonkeyPatch
) -> None:
    live.sandbox.world.consents.approval_delay = 3600.0
    monkeypatch.setattr(pcs, "CONSENT_WAIT_SECONDS", 0.5)
    started = _start_session(live, ADP_WEB)
    ended = _session_when(live, started["id"], lambda s: s["state"] != "pending")
    assert (ended["state"], ended["error"]) == ("failed", "consent-timeout")
    assert ended["error_info"]["waited_seconds"] == 0.5


def test_access_denied_with_web_access_on_is_throttling_and_polls_succeed(
    live: LiveAPI, monkeypatch: pytest.MonkeyPatch
) -> None:
    # CloudKit answers ACCESS_DENIED to the first two requests, then data; the account's
    # web-access state shows no ADP, so it is throttling: waited out, never adp-enabled.
    monkeypatch.setattr(cloudkit, "ACCESS_DENIED_BACKOFF", (0.05, 0.05))
    name = "access-denied-once"
    session = live.active_session(name)
    poll = live.poll(session["id"], {"data_types": ["icpl.photos"]})
    assert poll["errors"]["data"] == [], poll["errors"]
    [result] = poll["results"]["data"]
    listed = sorted(item["filename"] for item in _items(result))
    assert listed == sorted(a.filename for a in visible_assets(live.sandbox, apple_id(name)))
    asked = [e.path for e in live.sandbox.exchanges() if "requestWebAccessState" in e.path]
    assert len(asked) >= 3  # the login's, then one per denial


def test_access_denied_that_never_ends_is_rate_limited_not_adp(
    live: LiveAPI, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(cloudkit, "ACCESS_DENIED_BACKOFF", (0.05, 0.05))
    set_settings(dataclasses.replace(live.settings, throttle_retry_budget_seconds=0))
    name = "access-denied-once"
    session = live.active_session(name)
    key = apple_id(name)
    world = live.sandbox.world
    world.accounts[key] = dataclasses.replace(world.accounts[key], access_denied_first=10**6)
    poll = live.poll(session["id"], {"data_types": ["icpl.photos"]})
    assert [e["error"] for e in poll["errors"]["data"]] == ["rate-limited"]
