"""iCloud Drive through the HTTP API, with the real client against the sandbox: every
item of ``icloud_drive.files`` equals the world's tree, its files come back byte-exact
(the 200 MB film streamed through, checked by MD5), and a repeat poll through the kept
cursor returns only what changed, with deletions, in a handful of Apple requests."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cloudtap.sandbox.photos import media
from cloudtap.sandbox.services.content import drive as world_drive
from tests.api.live_sandbox import LiveAPI, apple_id, live_api  # noqa: F401
from tests.support.drive_world import expected_item, world_tree

DATA_TYPE = "icloud_drive.files"


def _result(poll: dict[str, Any]) -> dict[str, Any]:
    assert poll["state"] == "completed" and poll["errors"]["data"] == [], poll["errors"]
    [result] = poll["results"]["data"]
    found: dict[str, Any] = json.loads(Path(result["url"].removeprefix("local://")).read_bytes())
    return found


def _md5(pieces: media.Pieces, size: int) -> str:
    digest = hashlib.md5()
    for chunk in media.iter_range(pieces, 0, size - 1) if size else []:
        digest.update(chunk)
    return digest.hexdigest()


def test_drive_items_and_files_through_the_api(live: LiveAPI) -> None:
    session = live.active_session("rich")
    items = _result(live.poll(session["id"], {"data_types": [DATA_TYPE]}))["data"]
    tree = world_tree(live.sandbox, "rich")
    by_id = {i["id"]: i for i in items}
    assert sorted(by_id) == sorted(n.drivewsid for n in tree.nodes)
    for node in tree.nodes:
        got = {k: v for k, v in by_id[node.drivewsid].items() if k != "files"}
        assert got == expected_item(tree, node), node.full_name

    account = live.sandbox.world.account(apple_id("rich"))
    assert account is not None
    wanted = {"Holiday.mov", "Essay.pages", "Empty.txt", "figures.csv", "left behind.jpg"}
    files = {i["files"][0]["id"]: i for i in items if i["name"] in wanted}
    assert len(files) == len(wanted)
    poll = live.poll(session["id"], {"files": list(files)})
    assert poll["state"] == "completed" and poll["errors"]["data"] == [], poll["errors"]
    for result in poll["results"]["data"]:
        item = files[result["identifier"]]
        node = tree.by_id[item["id"]]
        assert result["size"] == node.size
        assert result["type"] == node.extension
        assert result["checksum"] == _md5(world_drive.pieces(account.content, node), node.size)
        if node.size < 2**20:
            downloaded = live.client.get(result["signed_url"]["url"]).content
            assert downloaded == media.join(world_drive.pieces(account.content, node))


def test_repeat_polls_return_only_changes_and_deletions(live: LiveAPI) -> None:
    session = live.active_session("rich")
    first = _result(live.poll(session["id"], {"data_types": [DATA_TYPE]}))
    tree = world_tree(live.sandbox, "rich")
    assert len(first["data"]) == len(tree.nodes)

    time.sleep(0.01)  # `since` strictly after the first listing started
    before = len(live.sandbox.exchanges())
    since = datetime.now(UTC).isoformat()
    repeat = live.poll(session["id"], {"data_types": [DATA_TYPE], "since": since})
    calls = live.sandbox.exchanges()[before:]
    assert _result(repeat)["data"] == []
    print("no-change repeat:", [(c.method, c.path) for c in calls])
    depth = max(tree.path_of(n).count("/") for n in tree.nodes if n.kind != "FILE")
    assert len(calls) == depth + 2 == 5, calls
    assert all(c.path.endswith("/retrieveItemDetailsInFolders") for c in calls)

    key = apple_id("rich")
    account = live.sandbox.world.accounts[key]
    later = dataclasses.replace(account.content, drive_revision=1)
    live.sandbox.world.accounts[key] = dataclasses.replace(account, content=later)
    try:
        time.sleep(0.01)
        since = datetime.now(UTC).isoformat()
        changed = _result(live.poll(session["id"], {"data_types": [DATA_TYPE], "since": since}))
    finally:
        live.sandbox.world.accounts[key] = account
    after = world_drive.small_tree(later)
    paths = {i["path"] for i in changed["data"]}
    assert paths == {"", "Documents", "Documents/Notes.txt", "Projects", "plan.md"}
    for item in changed["data"]:
        got = {k: v for k, v in item.items() if k != "files"}
        assert got == expected_item(after, after.by_id[item["id"]])
    gone = {n.drivewsid for n in tree.nodes} - {n.drivewsid for n in after.nodes}
    assert len(gone) == 1 and changed.get("deleted") == sorted(gone), changed.keys()


def test_adp_switched_on_after_login_fails_drive_as_adp_enabled(live: LiveAPI) -> None:
    session = live.active_session("no2fa")
    key = apple_id("no2fa")
    account = live.sandbox.world.accounts[key]
    live.sandbox.world.accounts[key] = dataclasses.replace(account, adp=True)
    try:
        poll = live.poll(session["id"], {"data_types": [DATA_TYPE]})
    finally:
        live.sandbox.world.accounts[key] = account
    assert poll["state"] == "completed" and poll["results"]["data"] == []
    assert [(e["target"], e["error"]) for e in poll["errors"]["data"]] == [
        (DATA_TYPE, "adp-enabled")
    ]
