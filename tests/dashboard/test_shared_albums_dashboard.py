"""Shared albums on the dashboard, through its HTTP against a real ``cloudtap serve``: the
albums page names each shared album's owner and contributors; the album's photos page
shows each photo's contributor and comments, and its thumbnails load (one files poll)."""

from __future__ import annotations

import html
import re
import time
from typing import Any

import httpx

from tests.cli.serve_process import ServedAPI
from tests.dashboard.support import signed_in_client

RICH = "rich@sandbox.cloudtap.dev"
SKI = "Ski trip ❄️"
IMG = re.compile(r'<img src="/dashboard/results/([0-9a-f-]+)/content"')


def _settled(api: httpx.Client, poll_id: str) -> dict[str, Any]:
    """The poll once completed: long-polled with Ricloud-Await, two minutes at most."""
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        poll: dict[str, Any] = api.get(f"/polls/{poll_id}", headers={"Ricloud-Await": "30"}).json()
        if poll["state"] not in ("pending", "processing"):
            assert poll["state"] == "completed", poll
            return poll
    raise AssertionError(f"poll {poll_id} did not settle")


def test_shared_albums_with_contributors_comments_and_thumbnails(served: ServedAPI) -> None:
    api = httpx.Client(
        base_url=served.url, headers={"Authorization": f"Token {served.token}"}, timeout=60
    )
    user = api.post("/users", json={"identifier": "shared-albums-dashboard"}).json()
    source = {"user": user["id"], "type": "icloud.account", "identifier": RICH}
    session = api.post(
        "/sessions",
        json={"source": source, "payload": {"password": "sandbox-password"}},
        headers={"Ricloud-Await": "60"},
    ).json()
    assert session["state"] == "active", session
    payload = {"data_types": ["icpl.albums"], "filters": {"album_kinds": ["shared"]}}
    poll = api.post("/polls", json={"session": session["id"], "payload": payload}).json()
    [result] = _settled(api, poll["id"])["results"]["data"]
    items = httpx.get(result["signed_url"]["url"]).json()["data"]
    ski = next(i for i in items if i["name"] == SKI)

    client, csrf = signed_in_client(served.url, served.token)
    page = html.unescape(client.get(f"/dashboard/results/{result['id']}").text)
    row = page[page.index(SKI) :].split("</tr>", 1)[0]
    assert "Dana Weber" in row  # the owner
    assert all(name in row for name in ski["contributors"]) and len(ski["contributors"]) == 2

    shown = client.post(
        f"/dashboard/results/{result['id']}/albums/{ski['id']}", data={"csrf": csrf}
    )
    poll_id = shown.url.path.rsplit("/", 1)[-1]
    [photos_result] = [
        r for r in _settled(api, poll_id)["results"]["data"] if r["identifier"] == "icpl.photos"
    ]
    photos = httpx.get(photos_result["signed_url"]["url"]).json()["data"]
    grid_url = f"/dashboard/results/{photos_result['id']}"
    grid = html.unescape(client.get(grid_url).text)
    figures = grid.split("<figure>")[1:]
    assert len(figures) == len(photos) == ski["asset_count"]
    for figure, photo in zip(figures, photos, strict=True):
        assert photo["contributor"]["name"] in figure
        for comment in photo["comments"]:
            assert comment["text"] in figure and comment["author"] in figure
    assert sum(len(p["comments"]) for p in photos) == 3

    loaded = client.post(f"{grid_url}/thumbnails", data={"csrf": csrf})
    assert loaded.status_code == 200
    files_poll = re.search(r'Thumbnails: poll <a href="/dashboard/polls/([0-9a-f-]+)"', loaded.text)
    assert files_poll is not None
    _settled(api, files_poll.group(1))
    shown_grid = client.get(grid_url).text
    thumbs = IMG.findall(shown_grid)
    assert len(thumbs) == len(photos)
    for thumb in thumbs:
        answer = client.get(f"/dashboard/results/{thumb}/content")
        assert answer.status_code == 200 and answer.headers["content-type"].startswith("image/")
        assert len(answer.content) > 0
