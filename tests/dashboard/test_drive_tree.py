"""The dashboard's iCloud Drive tree through its HTTP, against a real ``cloudtap serve``
and the sandbox: rich@'s Drive result browsed folder by folder (the root, a folder, the
shared folder, Recently Deleted), and a file fetched through one poll of its own and
downloaded byte-exact."""

from __future__ import annotations

import hashlib
import html
import re
from typing import Any

import httpx

from cloudtap.sandbox.accounts.scenarios import scenario_account
from cloudtap.sandbox.photos import media
from cloudtap.sandbox.services.content import drive as world_drive
from tests.cli.serve_process import ServedAPI
from tests.dashboard.support import signed_in_client

RICH = "rich@sandbox.cloudtap.dev"
ROW = re.compile(
    r'<tr class="drive-entry" data-kind="([^"]+)" data-id="([^"]+)">\s*<th[^>]*>(.*?)</th>', re.S
)


def _settled(api: httpx.Client, poll: dict[str, Any]) -> dict[str, Any]:
    """The poll once settled, waited for by the API's own Ricloud-Await (bounded)."""
    for _ in range(20):  # 20 waits of up to 30 s each
        if poll["state"] in ("completed", "failed"):
            return poll
        poll = api.get(f"/polls/{poll['id']}", headers={"Ricloud-Await": "30"}).json()
    raise AssertionError(f"poll {poll['id']} never settled: {poll['state']}")


def drive_result(served: ServedAPI) -> tuple[httpx.Client, str, list[dict[str, Any]]]:
    api = httpx.Client(
        base_url=served.url, headers={"Authorization": f"Token {served.token}"}, timeout=90
    )
    user = api.post("/users", json={"identifier": "drive-tree"}).json()
    source = {"user": user["id"], "type": "icloud.account", "identifier": RICH}
    session = api.post(
        "/sessions",
        json={"source": source, "payload": {"password": "sandbox-password"}},
        headers={"Ricloud-Await": "30"},
    ).json()
    assert session["state"] == "active", session
    poll = api.post(
        "/polls",
        json={"session": session["id"], "payload": {"data_types": ["icloud_drive.files"]}},
        headers={"Ricloud-Await": "30"},
    ).json()
    poll = _settled(api, poll)
    assert poll["state"] == "completed", poll
    [result] = poll["results"]["data"]
    items = httpx.get(result["signed_url"]["url"]).json()["data"]
    return api, str(result["id"]), items


def _rows(page: str) -> list[tuple[str, str, str]]:
    """(kind, id, shown name) of each entry of a folder page."""
    out = []
    for kind, item_id, cell in ROW.findall(page):
        cell = cell.replace('<span class="tag">shared</span>', "")
        name = html.unescape(re.sub(r"<[^>]+>", "", cell)).strip().removeprefix("📁 ")
        out.append((kind, html.unescape(item_id), name.strip()))
    return out


def test_browse_the_drive_tree_and_download_a_file(served: ServedAPI) -> None:
    api, result_id, items = drive_result(served)
    client, csrf = signed_in_client(served.url, served.token)
    by_path = {i["path"]: i for i in items}
    root = by_path[""]

    page = client.get(f"/dashboard/results/{result_id}")
    assert page.status_code == 200
    shown = _rows(page.text)
    at_root = {i["name"] for i in items if i["parent"] == root["id"]}
    assert {name for _, _, name in shown} == at_root | {"Recently Deleted"}
    kinds = [kind for kind, _, _ in shown]
    assert kinds == sorted(kinds, key=lambda k: k == "file")  # folders first
    assert 'class="tag">shared' in page.text  # rich@'s "Trip with Sam"

    documents = by_path["Documents"]
    page = client.get(f"/dashboard/results/{result_id}", params={"folder": documents["id"]})
    inside = {name for _, _, name in _rows(page.text)}
    assert inside == {i["name"] for i in items if i["parent"] == documents["id"]}
    assert "Report.pdf" in inside and 'aria-current="page">Documents' in page.text

    deep = by_path["Projects/2026/Q1/Deep"]
    page = client.get(f"/dashboard/results/{result_id}", params={"folder": deep["id"]})
    crumbs = re.findall(r'\?folder=[^"]+">([^<]+)</a></li>', page.text)
    assert crumbs == ["iCloud Drive", "Projects", "2026", "Q1"]

    shared = by_path["Trip with Sam/Day 1"]
    page = client.get(f"/dashboard/results/{result_id}", params={"folder": shared["id"]})
    assert {name for _, _, name in _rows(page.text)} == {"beach.jpg"}

    page = client.get(f"/dashboard/results/{result_id}", params={"folder": "TRASH_ROOT"})
    trashed = {i["name"] for i in items if i["parent"] == "TRASH_ROOT"}
    assert {name for _, _, name in _rows(page.text)} == trashed
    page = client.get(f"/dashboard/results/{result_id}", params={"folder": "FOLDER::nope"})
    assert page.status_code == 200 and "not in this result" in page.text

    # A file's bytes: one poll for it, made once; then a download link on the folder page.
    report = by_path["Documents/Report.pdf"]
    url = f"/dashboard/results/{result_id}/drive-files"
    asked = client.post(url, data={"csrf": csrf, "item": report["id"]})
    made = re.search(r"/dashboard/polls/([0-9a-f-]+)$", str(asked.url))
    assert asked.status_code == 200 and made, asked.url
    again = client.post(url, data={"csrf": csrf, "item": report["id"]})
    assert str(again.url).endswith(made.group(1))  # the same poll, not a second one
    folder = client.post(url, data={"csrf": csrf, "item": documents["id"]})
    assert folder.url.path == f"/dashboard/results/{result_id}"  # a folder has no bytes
    poll = _settled(api, api.get(f"/polls/{made.group(1)}").json())
    assert poll["state"] == "completed", poll

    page = client.get(f"/dashboard/results/{result_id}", params={"folder": documents["id"]})
    link = re.search(r'href="(/dashboard/results/[^"]+/content)" download', page.text)
    assert link, "no download link once the file's poll completed"
    got = client.get(link.group(1))
    assert got.status_code == 200
    assert got.headers["content-disposition"].startswith("attachment")
    account = scenario_account(RICH)  # the world serve's sandbox holds (seed 1)
    tree = world_drive.small_tree(account.content)
    node = tree.by_id[report["id"]]
    expected = media.join(world_drive.pieces(account.content, node))
    assert hashlib.sha256(got.content).digest() == hashlib.sha256(expected).digest()
