"""The sandbox remembers its sessions and world changes across restarts (issue 25, item 7):
Apple does not forget a signed-in session because one of its servers restarted."""

from __future__ import annotations

import os
import stat
import time
from pathlib import Path
from typing import Any

import httpx

from cloudtap.config import Settings
from cloudtap.sandbox.accounts.model import GeneratedLibrary
from cloudtap.sandbox.accounts.scenarios import PASSWORD, scenario_account
from cloudtap.sandbox.app import SandboxApp
from cloudtap.sandbox.runtime import memory_path, remembered_world
from cloudtap.sandbox.world import WEB_SESSION_COOKIE
from tests.cli.recovery_checks import partial_files, photo_files, post_poll, settle
from tests.cli.serve_process import ServedAPI, served_api
from tests.sandbox.photos.support import CK, PHOTOS, count, list_all

APPLE_ID = "no2fa@sandbox.cloudtap.dev"
AWAIT = {"Ricloud-Await": "60"}
# Downloads share a 100 kB/s link, so a files poll is still running when serve is killed;
# short task leases, so the restarted serve takes its tasks back within seconds.
SLOW_DOWNLOADS = {"CLOUDTAP_SANDBOX_LINK_BPS": "100000", "CLOUDTAP_TASK_LEASE_SECONDS": "2"}


def _api(served: ServedAPI, token: str) -> httpx.Client:
    return httpx.Client(
        base_url=served.url, headers={"Authorization": f"Token {token}"}, timeout=120
    )


def _photos_poll(api: httpx.Client, session_id: str) -> dict[str, Any]:
    body = {"session": session_id, "payload": {"data_types": ["icpl.photos"]}}
    answer = api.post("/polls", json=body, headers=AWAIT)
    assert answer.status_code in (200, 201), answer.text
    poll: dict[str, Any] = answer.json()
    return poll


def _assert_still_signed_in(api: httpx.Client, session_id: str) -> None:
    poll = _photos_poll(api, session_id)
    assert poll["state"] == "completed", poll
    assert poll["tasks_failed"] == [] and poll["error"] is None, poll
    assert poll["results"]["data"], poll
    session = api.get(f"/sessions/{session_id}").json()
    assert session["state"] == "active", session


def _wait_for_a_partial_file(data_dir: Path, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if any(p.stat().st_size > 0 for p in partial_files(data_dir)):
            return
        time.sleep(0.05)
    raise AssertionError("no task started writing its result")


def test_a_session_stays_active_across_serve_restarts(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    with served_api(data_dir, extra_env=SLOW_DOWNLOADS) as served:
        token = served.token
        api = _api(served, token)
        user = api.post("/users", json={"identifier": "restart-me"}).json()["id"]
        body = {
            "source": {"user": user, "type": "icloud.account", "identifier": APPLE_ID},
            "payload": {"password": PASSWORD},
        }
        session = api.post("/sessions", json=body, headers=AWAIT).json()
        assert session["state"] == "active", session
        _assert_still_signed_in(api, session["id"])
    # Stopped with SIGTERM (the context's exit), started again on the same data dir.
    with served_api(data_dir, extra_env=SLOW_DOWNLOADS, expect_token=False) as served:
        api = _api(served, token)
        _assert_still_signed_in(api, session["id"])
        # A files poll in flight when serve is killed -9: nothing gets to save anything.
        files = photo_files(api, session["id"], 2)
        in_flight = post_poll(api, session["id"], {"files": files})
        _wait_for_a_partial_file(data_dir, 60)
        served.process.kill()
        served.process.wait(timeout=30)
    with served_api(data_dir, extra_env=SLOW_DOWNLOADS, expect_token=False) as served:
        api = _api(served, token)
        # The killed poll's tasks are taken back and finish with the same Apple session.
        resumed = settle(api, in_flight, 90)
        assert resumed["state"] == "completed" and resumed["tasks_failed"] == [], resumed
        assert len(resumed["results"]["data"]) == 2, resumed
        _assert_still_signed_in(api, session["id"])


def _settings(tmp_path: Path) -> Settings:
    return Settings.from_env({"CLOUDTAP_DATA_DIR": str(tmp_path / "data")})


async def test_web_sessions_and_photo_edits_are_remembered(tmp_path: Path) -> None:
    settings = _settings(tmp_path)
    first = remembered_world(settings)
    who = first.account(APPLE_ID)
    assert who is not None and isinstance(who.photos, GeneratedLibrary)
    web_token = first.issue_web_session(who).token
    cookies = {WEB_SESSION_COOKIE: web_token}
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(SandboxApp(first)), base_url=CK, cookies=cookies
    ) as c:
        asset = (await list_all(c, "CPLAssetAndMasterByAssetDateWithoutHiddenOrDeleted"))[0]
        body = {
            "operations": [
                {
                    "operationType": "update",
                    "record": {
                        "recordName": asset["recordName"],
                        "recordType": "CPLAsset",
                        "fields": {"isDeleted": {"value": 1}},
                    },
                }
            ],
            "zoneID": {"zoneName": "PrimarySync"},
        }
        assert (await c.post(f"{PHOTOS}/private/records/modify", json=body)).status_code == 200
        assert await count(c, "CPLAssetDeletedByExpungedDate") == 1

    # A new process: the world is rebuilt from the seed, then from what it remembered.
    second = remembered_world(settings)
    assert second.account_for_cookies(cookies) == who
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(SandboxApp(second)), base_url=CK, cookies=cookies
    ) as c:
        assert await count(c, "CPLAssetDeletedByExpungedDate") == 1
        listed = await list_all(c, "CPLAssetAndMasterByAssetDateWithoutHiddenOrDeleted")
    assert asset["recordName"] not in {a["recordName"] for a in listed}

    # Ending a session is remembered as well.
    second.end_web_session(web_token)
    assert remembered_world(settings).account_for_cookies(cookies) is None


def test_the_memory_is_private_and_sealed(tmp_path: Path) -> None:
    settings = _settings(tmp_path)
    world = remembered_world(settings)
    who = scenario_account(APPLE_ID)
    assert who is not None
    token = world.issue_web_session(who).token
    trust = world.sign_ins.issue_trust_token(APPLE_ID)
    path = memory_path(settings)
    raw = path.read_bytes()
    assert token.encode() not in raw and trust.encode() not in raw
    assert APPLE_ID.encode() not in raw
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert remembered_world(settings).sign_ins.trusts(APPLE_ID, [trust])


def test_an_unreadable_memory_starts_a_fresh_world(tmp_path: Path) -> None:
    settings = _settings(tmp_path)
    world = remembered_world(settings)
    who = scenario_account(APPLE_ID)
    assert who is not None
    token = world.issue_web_session(who).token
    memory_path(settings).write_bytes(b"not a sealed snapshot")
    fresh = remembered_world(settings)  # a damaged file is set aside, never fatal
    assert fresh.account_for_cookies({WEB_SESSION_COOKIE: token}) is None
    assert fresh.account(APPLE_ID) is not None


def test_a_changed_password_stays_changed_across_a_restart(tmp_path: Path) -> None:
    settings = _settings(tmp_path)
    account = scenario_account("password-changed")
    first = remembered_world(settings)
    first.issue_web_session(first.accounts[account.apple_id])
    assert first.password_changed(first.accounts[account.apple_id])  # the next sign-in
    second = remembered_world(settings)  # the sandbox restarted
    assert second.password_changed(second.accounts[account.apple_id])
    fresh = scenario_account("no2fa")
    assert not second.password_changed(second.accounts[fresh.apple_id])
