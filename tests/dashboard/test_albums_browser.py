"""The dashboard's albums in headless Chromium against a real ``cloudtap serve``: an
``icpl.albums`` result shown as a tree (folders, nesting, counts, a unicode name), and an
album's photos, from one poll limited to it, shown with their thumbnails."""

from __future__ import annotations

import re
import time
from typing import Any

import httpx

from tests.cli.serve_process import ServedAPI
from tests.dashboard.support import sign_in_by_keyboard

RICH = "rich@sandbox.cloudtap.dev"
UNICODE = "Été à Tōkyō 🌸"


def _wait_for(check: Any, timeout: float = 120.0) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.5)
    raise AssertionError("timed out")


def _albums_result(served: ServedAPI) -> tuple[str, list[dict[str, Any]]]:
    """An ``icpl.albums`` poll of rich@ through the API: its result id and items."""
    api = httpx.Client(
        base_url=served.url, headers={"Authorization": f"Token {served.token}"}, timeout=60
    )
    user = api.post("/users", json={"identifier": "albums"}).json()
    source = {"user": user["id"], "type": "icloud.account", "identifier": RICH}
    session = api.post(
        "/sessions",
        json={"source": source, "payload": {"password": "sandbox-password"}},
        headers={"Ricloud-Await": "60"},
    ).json()
    assert session["state"] == "active", session
    poll = api.post(
        "/polls",
        json={"session": session["id"], "payload": {"data_types": ["icpl.albums"]}},
        headers={"Ricloud-Await": "60"},
    ).json()
    poll = _wait_for(
        lambda: (p := api.get(f"/polls/{poll['id']}").json())["state"] == "completed" and p
    )
    [result] = poll["results"]["data"]
    items = httpx.get(result["signed_url"]["url"]).json()["data"]
    return str(result["id"]), items


def test_albums_tree_and_an_albums_photos_with_thumbnails(served: ServedAPI, browser: Any) -> None:
    result_id, items = _albums_result(served)
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    sign_in_by_keyboard(page, served.url, served.token)
    page.goto(f"{served.url}/dashboard/results/{result_id}")

    rows = page.locator("tr.album")
    assert rows.count() == len(items)
    names = rows.locator("th").evaluate_all("ths => ths.map(t => t.innerText.trim())")
    assert [n.removeprefix("📁 ") for n in names] == [i["name"] for i in items]
    assert UNICODE in names
    by_name = {i["name"]: i for i in items}
    rome = page.locator("tr.album", has=page.locator("th", has_text="Rome"))
    assert rome.get_attribute("data-depth") == "2"  # Trips / Europe / Rome
    assert rome.locator("td").nth(1).inner_text() == str(by_name["Rome"]["asset_count"])
    folder = page.locator("tr.album[data-kind='folder']").first
    assert folder.get_by_role("button").count() == 0  # a folder holds albums, not photos

    # Rome's photos: one poll limited to it, then its grid with thumbnails.
    page.get_by_role("button", name="Show photos of Rome").click()
    page.wait_for_url(re.compile(r"/dashboard/polls/[0-9a-f-]+$"))
    page.locator("#poll-state", has_text="completed").wait_for(timeout=120_000)
    page.locator("tr[data-target='icpl.photos'] a", has_text="view").click()
    figures = page.locator(".grid figure")
    assert figures.count() == by_name["Rome"]["asset_count"] > 0
    page.get_by_role("button", name="Load thumbnails").click()
    thumbs = page.locator("img[src$='/content']")
    _wait_for(lambda: thumbs.count() == figures.count())
    _wait_for(
        lambda: thumbs.evaluate_all("imgs => imgs.every(i => i.complete && i.naturalWidth > 0)")
    )

    # Back on the albums page, Rome links straight to its photos: no second poll.
    page.goto(f"{served.url}/dashboard/results/{result_id}")
    link = page.get_by_role("link", name="Photos of Rome")
    assert link.count() == 1
    link.click()
    assert page.locator("img[src$='/content']").count() == figures.count()
    context.close()
