"""Polls through HTTP with the real iCloud client against the sandbox (no fakes).

Result shapes (JSON results named by their type id, file results — photos, contact
images, note attachments — by their file id and extension, with the size and MD5 of
exactly what the sandbox serves), info types,
per-task errors that leave the other tasks alone, and the date filters.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from pathlib import Path
from typing import Any

import pytest

from tests.api.live_sandbox import LiveAPI, apple_id, live_api  # noqa: F401
from tests.api.sandbox_bytes import contact_image_bytes, note_attachment_bytes, photo_bytes

ALL_DATA_TYPES = [
    "icpl.photos",
    "icpl.albums",
    "mme_contacts.contacts",
    "mme_calendar.events",
    "mme_notes.notes",
    "callkit.calls",
    "cloudkit_safari.history",
    "cloudkit_reminders.reminders",
    "fmip.devices",
]
INFO_TYPES = [
    "icloud.account.info",
    "icloud.account.devices",
    "icloud.account.storage",
    "icloud.account.data_types",
]


def _items(result: dict[str, Any]) -> list[dict[str, Any]]:
    return json.loads(Path(result["url"].removeprefix("local://")).read_bytes())["data"]


def _failed(poll: dict[str, Any]) -> dict[str, str]:
    return {e.get("target", "poll"): e["error"] for e in poll["errors"]["data"]}


def test_every_data_type_then_its_files_byte_exact(live: LiveAPI) -> None:
    session = live.active_session("rich")
    poll = live.poll(session["id"], {"data_types": ALL_DATA_TYPES})
    assert poll["state"] == "completed" and _failed(poll) == {}
    results = {r["identifier"]: r for r in poll["results"]["data"]}
    assert sorted(results) == sorted(ALL_DATA_TYPES)
    assert {r["type"] for r in results.values()} == {"json"}
    photos = _items(results["icpl.photos"])
    contacts = [c for c in _items(results["mme_contacts.contacts"]) if c.get("image")]
    attachments = [a for note in _items(results["mme_notes.notes"]) for a in note["attachments"]]
    one_of_each = {a["extension"]: a for a in attachments}
    assert photos and contacts and sorted(one_of_each) == ["jpg", "pdf", "png"]
    for data_type, result in results.items():
        assert all(item["data_type"] for item in _items(result)), data_type
    # One reminders result holds both kinds of item.
    kinds = {i["data_type"] for i in _items(results["cloudkit_reminders.reminders"])}
    assert kinds == {"cloudkit_reminders.list", "cloudkit_reminders.reminder"}

    wanted = {photos[0]["files"][0]["id"]: photos[0]["files"][0]}
    wanted |= {f["id"]: f for f in photos[1]["files"][:3]}
    wanted |= {c["image"]["id"]: c["image"] for c in contacts[:2]}
    wanted |= {a["file_id"]: a for a in one_of_each.values()}
    files = live.poll(session["id"], {"files": list(wanted)})
    assert files["state"] == "completed" and _failed(files) == {}
    by_id = {r["identifier"]: r for r in files["results"]["data"]}
    assert sorted(by_id) == sorted(wanted)
    for file_id, result in by_id.items():
        downloaded = live.client.get(result["signed_url"]["url"]).content
        if file_id.startswith("icpl://"):
            expected = photo_bytes(live.sandbox, apple_id("rich"), file_id)
            assert result["type"] == wanted[file_id]["extension"]
        elif file_id.startswith("mme_notes_attachment://"):
            expected = note_attachment_bytes(live.sandbox, apple_id("rich"), file_id)
            assert result["type"] == wanted[file_id]["extension"]
            assert wanted[file_id]["size"] == len(expected)
        else:
            expected = contact_image_bytes(live.sandbox, apple_id("rich"), file_id)
            assert result["type"] == "jpg"
        assert downloaded == expected
        assert result["size"] == len(expected)
        assert result["checksum"] == hashlib.md5(expected).hexdigest()


def test_info_types_star_and_named(live: LiveAPI) -> None:
    session = live.active_session("no2fa")
    every = live.poll(session["id"], {"info_types": ["*"]})
    assert _failed(every) == {}
    assert sorted(r["identifier"] for r in every["results"]["data"]) == sorted(INFO_TYPES)
    for result in every["results"]["data"]:
        assert result["type"] == "json"
        [document] = _items(result)
        assert document["data_type"] == result["identifier"]
    named = live.poll(session["id"], {"info_types": ["icloud.account.info"]})
    [info] = named["results"]["data"]
    assert info["identifier"] == "icloud.account.info"
    assert _items(info)[0]["apple_id"] == apple_id("no2fa")


@pytest.mark.parametrize(
    ("name", "failing", "error"),
    [
        ("photos-off", "icpl.photos", "icpl-disabled"),
        ("callkit-uninitialised", "callkit.calls", "callkit-uninitialised"),
        ("callkit-sync-off", "callkit.calls", "callkit-sync-disabled"),
    ],
)
def test_a_task_error_leaves_the_other_tasks_alone(
    live: LiveAPI, name: str, failing: str, error: str
) -> None:
    session = live.active_session(name)
    wanted = ["icpl.photos", "mme_contacts.contacts", "callkit.calls"]
    poll = live.poll(session["id"], {"data_types": wanted, "info_types": ["icloud.account.info"]})
    assert poll["state"] == "completed"
    assert _failed(poll) == {failing: error}
    assert len(poll["tasks_failed"]) == 1 and len(poll["tasks_succeeded"]) == 3
    task = live.client.get(f"/tasks/{poll['tasks_failed'][0]}", headers=live.headers).json()
    assert (task["state"], task["error"]) == ("failed", error)
    succeeded = {r["identifier"] for r in poll["results"]["data"]}
    assert succeeded == {*wanted, "icloud.account.info"} - {failing}


def _change_account(live: LiveAPI, name: str, **changes: Any) -> None:
    key = apple_id(name)
    world = live.sandbox.world
    world.accounts[key] = dataclasses.replace(world.accounts[key], **changes)


def test_adp_switched_on_after_login_fails_the_cloudkit_tasks(live: LiveAPI) -> None:
    session = live.active_session("no2fa")
    _change_account(live, "no2fa", adp=True)
    poll = live.poll(
        session["id"], {"data_types": ["icpl.photos", "mme_contacts.contacts", "mme_notes.notes"]}
    )
    assert _failed(poll) == {"icpl.photos": "adp-enabled", "mme_notes.notes": "adp-enabled"}
    assert [r["identifier"] for r in poll["results"]["data"]] == ["mme_contacts.contacts"]


@pytest.mark.parametrize("nested", [False, True])
def test_since_and_until_top_level_or_under_filters(live: LiveAPI, nested: bool) -> None:
    session = live.active_session("no2fa")
    everything = live.poll(session["id"], {"data_types": ["icpl.photos"]})
    items = _items(everything["results"]["data"][0])
    uploaded = sorted(item["date_uploaded"] for item in items)
    since, until = uploaded[4], uploaded[-5]
    dates = {"since": since, "until": until}
    payload = {"data_types": ["icpl.photos"], **({"filters": dates} if nested else dates)}
    window = live.poll(session["id"], payload)
    got = sorted(item["date_uploaded"] for item in _items(window["results"]["data"][0]))
    assert got == [d for d in uploaded if since < d < until]
    assert 0 < len(got) < len(items)


@pytest.mark.parametrize(
    "payload",
    [
        {"since": "yesterday"},
        {"until": "2026-13-45T00:00:00Z"},
        {"filters": {"since": 12}},
        {"filters": {"until": "not a date"}},
        {"filters": "since last week"},
    ],
)
def test_malformed_dates_are_invalid_parameter(live: LiveAPI, payload: dict[str, Any]) -> None:
    session = live.active_session("no2fa")
    response = live.client.post(
        "/polls",
        json={"session": session["id"], "payload": {"data_types": ["icpl.photos"], **payload}},
        headers=live.headers,
    )
    assert response.status_code == 400, response.text
    assert response.json()["error"] == "invalid-parameter"
