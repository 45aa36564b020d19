"""The dashboard's iCloud Drive tree in headless Chromium against a real ``cloudtap
serve``: folders opened by their links, the way back by the path, a file fetched with
its button and then offered for download; the page labelled, legible and with one h1."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from tests.cli.serve_process import ServedAPI
from tests.dashboard.support import sign_in_by_keyboard, unlabelled_fields
from tests.dashboard.test_accessibility import LOW_CONTRAST
from tests.dashboard.test_drive_tree import drive_result


def test_open_folders_go_back_and_fetch_a_file(served: ServedAPI, browser: Any) -> None:
    api, result_id, items = drive_result(served)
    poll_id = api.get(f"/results/{result_id}").json()["poll"]
    by_path = {i["path"]: i for i in items}
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    sign_in_by_keyboard(page, served.url, served.token)
    # From the listing poll's page, its Drive result has a view link.
    page.goto(f"{served.url}/dashboard/polls/{poll_id}")
    page.locator("tr[data-target='icloud_drive.files'] a", has_text="view").click()
    page.wait_for_url(f"{served.url}/dashboard/results/{result_id}")
    assert unlabelled_fields(page) == [] and page.evaluate(LOW_CONTRAST) == []
    assert page.locator("h1").count() == 1

    page.get_by_role("link", name="Projects", exact=True).click()
    page.get_by_role("link", name="2026", exact=True).click()
    assert page.locator("[aria-current='page']").inner_text() == "2026"
    page.get_by_role("navigation", name="Folder path").get_by_role("link", name="Projects").click()
    rows = page.locator("tr.drive-entry")
    projects = by_path["Projects"]["id"]
    assert rows.count() == sum(1 for i in items if i["parent"] == projects)

    page.get_by_role("navigation", name="Folder path").get_by_role("link").first.click()
    page.get_by_role("link", name="Documents", exact=True).click()
    page.get_by_role("button", name="Fetch Report.pdf").click()
    page.wait_for_url(re.compile(r"/dashboard/polls/[0-9a-f-]+$"))
    page.locator("#poll-state", has_text="completed").wait_for(timeout=120_000)
    page.goto(f"{served.url}/dashboard/results/{result_id}?folder={by_path['Documents']['id']}")
    download = page.get_by_role("link", name="Download Report.pdf")
    assert download.count() == 1
    with page.expect_download() as started:
        download.click()
    saved = started.value
    assert saved.suggested_filename.endswith(".pdf")
    assert by_path["Documents/Report.pdf"]["size"] == len(Path(saved.path()).read_bytes())
    context.close()
