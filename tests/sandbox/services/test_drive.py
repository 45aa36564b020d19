"""The sandbox's iCloud Drive (drivews + docws + the content host) against its own tree."""

from __future__ import annotations

import dataclasses
import io
import zipfile
from typing import Any

import httpx
import pytest

from cloudtap.sandbox.accounts.model import SandboxAccount
from cloudtap.sandbox.photos import media
from cloudtap.sandbox.services.content import drive as gen
from cloudtap.sandbox.services.content import drive_large, storage
from tests.sandbox.services.conftest import RICH, ServiceClient, make_account

RICH_DRIVE = dataclasses.replace(RICH, drive="rich")


@pytest.fixture
def account() -> SandboxAccount:
    return make_account(RICH_DRIVE)


async def _folders(client: httpx.AsyncClient, *ids: str | dict[str, Any]) -> list[dict[str, Any]]:
    body = [{"drivewsid": i, "partialData": False} if isinstance(i, str) else i for i in ids]
    reply = await client.post("/retrieveItemDetailsInFolders", json=body)
    assert reply.status_code == 200, reply.text
    found: list[dict[str, Any]] = reply.json()
    return found


async def _walk(client: httpx.AsyncClient) -> dict[str, dict[str, Any]]:
    """Every node reachable from the root and the trash, by drivewsid (many folders a call)."""
    seen: dict[str, dict[str, Any]] = {}
    waiting: list[str | dict[str, Any]] = [gen.ROOT_ID, gen.TRASH_REQUEST_ID]
    while waiting:
        folders = await _folders(client, *waiting)
        waiting = []
        for folder in folders:
            for item in folder["items"]:
                seen[item["drivewsid"]] = item
                if item["type"] != "FILE":
                    # A folder in a shared folder goes with its share, as pyicloud sends it.
                    share = {"shareID": item["shareID"]} if "shareID" in item else {}
                    waiting.append({"drivewsid": item["drivewsid"], **share})
    return seen


async def test_the_whole_tree_is_reachable_with_the_worlds_values(
    service_client: ServiceClient, account: SandboxAccount
) -> None:
    tree = gen.small_tree(account.content)
    async with service_client("drivews") as client:
        seen = await _walk(client)
    assert set(seen) == {n.drivewsid for n in tree.nodes[1:]}
    for node in tree.nodes[1:]:
        item = seen[node.drivewsid]
        assert (item["name"], item.get("extension"), item["type"]) == (
            node.name,
            node.extension,
            node.kind,
        )
        assert item["etag"] == node.etag
        assert item["parentId"] == node.parent
        if node.kind == "FILE":
            assert item["size"] == node.size
            assert item["dateModified"] == node.modified.strftime("%Y-%m-%dT%H:%M:%SZ")
        assert ("restorePath" in item) == (node.trashed and node.parent == gen.TRASH_ID)
    names = {n.full_name for n in tree.nodes}
    assert {"Empty.txt", "Holiday.mov", "Essay.pages", "résumé \u2013 履歴書.txt"} <= names
    assert any(len(n) > 200 for n in names)
    assert gen.small_tree(account.content).by_id[gen.ROOT_ID].etag


async def test_unknown_ids_bad_bodies_and_no_session(
    service_client: ServiceClient,
) -> None:
    async with service_client("drivews") as client:
        [invalid] = await _folders(client, "FOLDER::com.apple.CloudDocs::documents")
        assert invalid == {
            "drivewsid": "FOLDER::com.apple.CloudDocs::documents",
            "status": "ID_INVALID",
        }
        for body in ({"drivewsid": gen.ROOT_ID}, [], [{"partialData": False}]):
            reply = await client.post("/retrieveItemDetailsInFolders", json=body)
            assert reply.status_code == 400
        bad = await client.post("/retrieveItemDetailsInFolders", content=b"{nope")
        assert bad.status_code == 400
        libraries = (await client.get("/retrieveAppLibraries")).json()["items"]
        assert [i["name"] for i in libraries] == ["Pages", "Numbers"]
    async with service_client("drivews", signed_in=False) as client:
        reply = await client.post("/retrieveItemDetailsInFolders", json=[{"drivewsid": "x"}])
        assert reply.status_code == 421


async def test_a_shared_folder_is_listed_with_its_share_and_read_in_its_owners_zone(
    service_client: ServiceClient, account: SandboxAccount
) -> None:
    tree = gen.small_tree(account.content)
    day = next(n for n in tree.nodes if n.full_name == "Day 1")
    beach = next(n for n in tree.nodes if n.full_name == "beach.jpg")
    async with service_client("drivews") as client:
        [root] = await _folders(client, gen.ROOT_ID)
        [trip] = [i for i in root["items"] if i["name"] == "Trip with Sam"]
        assert trip["drivewsid"].startswith("SHARED_FOLDER::") and trip["type"] == "FOLDER"
        share = trip["shareID"]
        assert share["zoneID"]["ownerRecordName"] == gen.SHARE_OWNER
        # Without its share a folder in it is refused; with it, listed.
        bare = [{"drivewsid": day.drivewsid, "partialData": False}]
        refused = await client.post("/retrieveItemDetailsInFolders", json=bare)
        assert refused.status_code == 400
        [listed] = await _folders(client, {**bare[0], "shareID": share})
        [item] = listed["items"]
        assert item["drivewsid"] == beach.drivewsid and item["shareID"] == share
        assert item["owner"] == {"ownerRecordName": gen.SHARE_OWNER}
    async with service_client("docws") as client:
        params = {"document_id": beach.docwsid}
        mine = await client.get(f"/ws/{beach.zone}/download/by_id", params=params)
        assert mine.status_code == 404  # not in rich@'s own zone
        path = f"/ws/{beach.zone}/download/by_id/{gen.SHARE_OWNER}"
        theirs = await client.get(path, params=params)
        assert theirs.status_code == 200 and theirs.json()["data_token"]["url"]


async def _download(client: httpx.AsyncClient, node: gen.DriveNode) -> httpx.Response:
    return await client.get(f"/ws/{node.zone}/download/by_id", params={"document_id": node.docwsid})


def _named(account: SandboxAccount, full_name: str) -> gen.DriveNode:
    return next(n for n in gen.small_tree(account.content).nodes if n.full_name == full_name)


async def test_downloads_are_the_worlds_bytes(
    service_client: ServiceClient, account: SandboxAccount
) -> None:
    report, essay = _named(account, "Report.pdf"), _named(account, "Essay.pages")
    async with service_client("docws") as client:
        token = (await _download(client, report)).json()
        assert token["document_id"] == report.docwsid and token["double_etag"] == report.etag
        body = (await client.get(token["data_token"]["url"])).content
        assert body == media.join(gen.pieces(account.content, report))
        assert len(body) == report.size
        package = (await _download(client, essay)).json()
        assert "data_token" not in package
        zipped = (await client.get(package["package_token"]["url"])).content
        assert len(zipped) == essay.size
        assert any(n.endswith("Index.zip") for n in zipfile.ZipFile(io.BytesIO(zipped)).namelist())
        empty = await _download(client, _named(account, "Empty.txt"))
        assert empty.status_code == 400
        missing = await client.get(
            "/ws/com.apple.CloudDocs/download/by_id", params={"document_id": "NOPE"}
        )
        assert missing.status_code == 404
        assert (await client.get("/ws/com.apple.CloudDocs/download/by_id")).status_code == 400


async def test_the_200_mb_file_is_served_without_being_held(
    service_client: ServiceClient, account: SandboxAccount
) -> None:
    film = _named(account, "Holiday.mov")
    assert film.size == gen.BIG_FILE_SIZE
    pieces = gen.pieces(account.content, film)
    # One shared 64 KiB block repeated: what the world holds for 200 MB is tiny.
    held = {id(p): len(p) for p in pieces if isinstance(p, bytes)}
    assert media.pieces_size(pieces) == film.size and sum(held.values()) < 2**20
    async with service_client("docws") as client:
        url = (await _download(client, film)).json()["data_token"]["url"]
        tail = await client.get(url, headers={"Range": f"bytes={film.size - 100}-"})
        head = await client.head(url)
    assert tail.status_code == 206 and len(tail.content) == 100
    assert tail.headers["content-range"] == f"bytes {film.size - 100}-{film.size - 1}/{film.size}"
    assert tail.content == bytes(
        b"".join(bytes(c) for c in media.iter_range(pieces, film.size - 100, film.size - 1))
    )
    assert int(head.headers["content-length"]) == film.size


def test_the_100k_tree_is_made_on_demand() -> None:
    spec = dataclasses.replace(RICH, drive="100k")
    tree = gen.tree(spec)
    assert isinstance(tree, gen.LargeDriveTree)
    top = tree.children_of(gen.ROOT_ID)
    assert len(top) == drive_large.TOP_FOLDERS and all(n.kind == "FOLDER" for n in top)
    first = tree.children_of(top[0].drivewsid)
    subs = [n for n in first if n.kind == "FOLDER"]
    files = [n for n in first if n.kind == "FILE"]
    assert (len(subs), len(files)) == (drive_large.SUBFOLDERS, drive_large.FILES_PER_FOLDER)
    leaf = tree.children_of(subs[-1].drivewsid)
    assert len(leaf) == drive_large.FILES_PER_FOLDER
    node = leaf[-1]
    assert tree.node(node.drivewsid) == node == gen.node_at(spec, node.index)
    assert tree.document(node.zone, node.docwsid) == node
    assert tree.path_of(node) == f"Folder 00/Sub 98/{node.full_name}"
    assert tree.stats(tree.at(0) or node) == (
        sum(tree.stats(n)[0] for n in top),
        drive_large.FILES,
    )
    # Ids that are not the tree's: another seed, a folder id on a file, out of range.
    assert tree.node(node.drivewsid.replace("FILE::", "FOLDER::")) is None
    assert tree.node(node.drivewsid[:-12] + "FFFFFFFFFFFF") is None
    other = gen.tree(dataclasses.replace(spec, seed=spec.seed + 1))
    assert other.node(node.drivewsid) is None


def test_the_documents_meter_counts_the_drive(account: SandboxAccount) -> None:
    tree = gen.small_tree(account.content)
    # A folder another Apple ID shares counts against its owner's storage (assumed).
    held = sum(n.size for n in tree.nodes if n.kind == "FILE" and not n.shared_by)
    assert storage.drive_bytes(account) == held > gen.BIG_FILE_SIZE
    [docs] = [m for m in storage.usage(account).media if m.key == "docs"]
    assert docs.used_bytes >= held
