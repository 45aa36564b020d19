"""iCloud Drive through the real sandbox proxy: every item against the world's own tree,
downloads byte-exact (a package, an empty file, unicode names), and what a listing costs."""

from __future__ import annotations

import dataclasses
import hashlib

import pytest

from cloudtap.icloud import errors
from cloudtap.icloud.client.connector import ICloudConnector
from cloudtap.icloud.connector import Credentials, Filters, JSONDict
from cloudtap.sandbox.photos import media
from cloudtap.sandbox.runtime import RunningSandbox
from cloudtap.sandbox.services import drive as sandbox_drive
from cloudtap.sandbox.services.content import drive as world_drive
from tests.icloud.client.conftest import PASSWORD, RequestLog, apple_id
from tests.support.drive_world import expected_item, world_tree


async def _login(connector: ICloudConnector, name: str) -> JSONDict:
    outcome = await connector.login(Credentials(apple_id(name), PASSWORD), None)
    assert outcome.state == "active" and outcome.session_state
    return outcome.session_state


async def test_every_item_is_the_worlds(
    connector: ICloudConnector, sandbox: RunningSandbox, requests_made: RequestLog
) -> None:
    state = await _login(connector, "rich")
    requests_made.clear()
    items = [i async for i in connector.fetch_items(state, "icloud_drive.files", Filters())]
    listing_calls = [u for u in requests_made.urls if "drivews" in u]
    tree = world_tree(sandbox, "rich")
    assert sorted(i["id"] for i in items) == sorted(n.drivewsid for n in tree.nodes)
    by_id = {i["id"]: i for i in items}
    for node in tree.nodes:
        got = {k: v for k, v in by_id[node.drivewsid].items() if k != "files"}
        assert got == expected_item(tree, node), node.full_name
    kinds = {i["kind"] for i in items}
    assert kinds == {"folder", "file", "app_library"}
    assert any(i["trashed"] and i["path"] == "Old stuff/left behind.jpg" for i in items)
    # One request per level of depth (root and trash together, then each level's folders).
    depth = max(tree.path_of(n).count("/") for n in tree.nodes if n.kind != "FILE")
    assert len(listing_calls) == depth + 2, listing_calls


async def test_a_host_that_takes_fewer_folders_a_request_still_gives_the_whole_tree(
    connector: ICloudConnector,
    sandbox: RunningSandbox,
    requests_made: RequestLog,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """How many folders drivews takes in one request is not evidenced: a refused batch
    is split in halves, never given up on nor published short."""
    state = await _login(connector, "rich")
    monkeypatch.setattr(sandbox_drive, "MAX_FOLDERS_PER_REQUEST", 2)
    requests_made.clear()
    items = [i async for i in connector.fetch_items(state, "icloud_drive.files", Filters())]
    tree = world_tree(sandbox, "rich")
    assert sorted(i["id"] for i in items) == sorted(n.drivewsid for n in tree.nodes)
    listing_calls = [u for u in requests_made.urls if "drivews" in u]
    folders = sum(1 for n in tree.nodes if n.kind != "FILE") + 1  # and the trash
    assert len(listing_calls) < 2 * folders  # halving ends: refused batches plus halves


async def test_a_folder_shared_with_the_account_is_listed_and_its_files_download(
    connector: ICloudConnector, sandbox: RunningSandbox, requests_made: RequestLog
) -> None:
    """rich@'s "Trip with Sam", another Apple ID's folder: listed like its own, the folder
    in it with its shareID; its files come from the owner's zone (pyicloud 2026.10.1)."""
    state = await _login(connector, "rich")
    requests_made.clear()
    items = [i async for i in connector.fetch_items(state, "icloud_drive.files", Filters())]
    by_path = {i["path"]: i for i in items}
    trip, day = by_path["Trip with Sam"], by_path["Trip with Sam/Day 1"]
    assert trip["id"].startswith("SHARED_FOLDER::") and trip["kind"] == "folder"
    assert day["id"].startswith("FOLDER_IN_SHARED_FOLDER::") and day["parent"] == trip["id"]
    beach = by_path["Trip with Sam/Day 1/beach.jpg"]
    assert beach["id"].startswith("FILE_IN_SHARED_FOLDER::") and beach["parent"] == day["id"]
    assert all(i["shared"] == i["path"].startswith("Trip with Sam") for i in items)
    # A folder shared by someone else counts for its owner, not in rich@'s root.
    assert by_path[""]["size"] == sum(
        i["size"] for i in items if i["kind"] == "file" and not i["shared"] and not i["trashed"]
    )
    account = sandbox.world.account(apple_id("rich"))
    assert account is not None
    tree = world_drive.small_tree(account.content)
    requests_made.clear()
    for item in (by_path["Trip with Sam/itinerary.pdf"], beach):
        [entry] = item["files"]
        stream = await connector.open_file(state, entry["id"])
        got = b"".join([chunk async for chunk in stream.iter_bytes()])
        node = tree.by_id[item["id"]]
        expected = media.join(world_drive.pieces(account.content, node))
        assert len(got) == item["size"] == node.size
        assert hashlib.sha256(got).digest() == hashlib.sha256(expected).digest(), item["name"]
    owner = f"/download/by_id/{world_drive.SHARE_OWNER}"
    assert sum(owner in u for u in requests_made.urls) == 2


async def test_files_download_byte_exact(
    connector: ICloudConnector, sandbox: RunningSandbox
) -> None:
    state = await _login(connector, "rich")
    items = [i async for i in connector.fetch_items(state, "icloud_drive.files", Filters())]
    account = sandbox.world.account(apple_id("rich"))
    assert account is not None
    tree = world_drive.small_tree(account.content)
    wanted = {"Report.pdf", "Essay.pages", "Empty.txt", "left behind.jpg"}
    wanted.add("résumé \u2013 履歴書.txt")
    files = [i for i in items if i["name"] in wanted]
    assert len(files) == len(wanted)
    for item in files:
        [entry] = item["files"]
        assert entry["size"] == item["size"]
        stream = await connector.open_file(state, entry["id"])
        assert (stream.info.size, stream.info.extension) == (item["size"], item["extension"])
        got = b"".join([chunk async for chunk in stream.iter_bytes()])
        node = tree.by_id[item["id"]]
        expected = media.join(world_drive.pieces(account.content, node))
        assert len(got) == node.size
        assert hashlib.sha256(got).digest() == hashlib.sha256(expected).digest(), item["name"]


async def test_every_account_has_a_basic_tree(
    connector: ICloudConnector, sandbox: RunningSandbox
) -> None:
    state = await _login(connector, "no2fa")
    items = [i async for i in connector.fetch_items(state, "icloud_drive.files", Filters())]
    tree = world_tree(sandbox, "no2fa")
    assert sorted(i["path"] for i in items) == sorted(tree.path_of(n) for n in tree.nodes)
    assert {"Pages", "Numbers", "Documents/Report.pdf", "old draft.txt"} <= {
        i["path"] for i in items
    }


async def _listing(
    connector: ICloudConnector, state: JSONDict, cursor: JSONDict | None
) -> tuple[list[JSONDict], list[str], JSONDict | None]:
    stream = connector.fetch_items(state, "icloud_drive.files", Filters(cursor=cursor))
    items = [item async for item in stream]
    return items, list(getattr(stream, "deleted", [])), stream.cursor


async def test_a_later_listing_returns_only_what_changed_and_what_went(
    connector: ICloudConnector, sandbox: RunningSandbox, requests_made: RequestLog
) -> None:
    state = await _login(connector, "rich")
    first, gone, cursor = await _listing(connector, state, None)
    assert gone == [] and cursor and len(first) == len(world_tree(sandbox, "rich").nodes)
    requests_made.clear()
    same, gone, cursor = await _listing(connector, state, cursor)
    assert (same, gone) == ([], [])
    repeat_calls = [u for u in requests_made.urls if "drivews" in u or "docws" in u]
    tree = world_tree(sandbox, "rich")
    depth = max(tree.path_of(n).count("/") for n in tree.nodes if n.kind != "FILE")
    print("no-change repeat:", len(repeat_calls), "Apple requests")
    assert len(repeat_calls) == depth + 2

    key = apple_id("rich")
    account = sandbox.world.accounts[key]
    later = dataclasses.replace(account.content, drive_revision=1)
    sandbox.world.accounts[key] = dataclasses.replace(account, content=later)
    try:
        changed, gone, cursor = await _listing(connector, state, cursor)
        after = world_drive.small_tree(later)
        before = {n.drivewsid for n in tree.nodes}
        # What the world changed: one file edited, one trashed, one deleted for good, and
        # so the sizes of the folders above them.
        edited = sorted(
            n.drivewsid
            for n in after.nodes
            if n.drivewsid not in before
            or expected_item(after, n) != expected_item(tree, tree.by_id[n.drivewsid])
        )
        assert sorted(i["id"] for i in changed) == edited
        assert {after.path_of(after.by_id[i]) for i in edited} == {
            "",
            "Documents",
            "Documents/Notes.txt",
            "Projects",
            "plan.md",
        }
        for item in changed:
            got = {k: v for k, v in item.items() if k != "files"}
            assert got == expected_item(after, after.by_id[item["id"]])
        assert any(i["trashed"] and i["restore_path"] == "Projects/plan.md" for i in changed)
        assert gone == sorted(before - {n.drivewsid for n in after.nodes})
        assert len(gone) == 1
        assert (await _listing(connector, state, cursor))[:2] == ([], [])
    finally:
        sandbox.world.accounts[key] = account


async def test_a_file_changed_since_its_listing_is_not_found(
    connector: ICloudConnector, sandbox: RunningSandbox
) -> None:
    state = await _login(connector, "rich")
    items, _, _ = await _listing(connector, state, None)
    notes = next(i for i in items if i["path"] == "Documents/Notes.txt")
    key = apple_id("rich")
    account = sandbox.world.accounts[key]
    later = dataclasses.replace(account.content, drive_revision=1)
    sandbox.world.accounts[key] = dataclasses.replace(account, content=later)
    try:
        with pytest.raises(errors.NotFound, match="changed since it was listed"):
            await connector.open_file(state, notes["files"][0]["id"])
    finally:
        sandbox.world.accounts[key] = account
