"""The dashboard end to end in headless Chromium against a real ``cloudtap serve``.

One integrator's day: sign in with the sandbox key (by keyboard), add a webhook, run a
2FA session through the form, poll all seven data types and watch it finish, see the
photo thumbnails, redeliver a webhook, rotate a key, sign out. Then a second
organisation's key sees none of it.
"""

from __future__ import annotations

import re
import time
from pathlib import Path
from typing import Any

import httpx

from tests.cli.serve_process import ServedAPI
from tests.dashboard.support import Receiver, create_key, sign_in_by_keyboard, unlabelled_fields

SEVEN_DATA_TYPES = (
    "icpl.photos",
    "mme_contacts.contacts",
    "mme_calendar.events",
    "mme_notes.notes",
    "callkit.calls",
    "cloudkit_safari.history",
    "fmip.devices",
)
DOMAIN = "sandbox.cloudtap.dev"
APPLE_ID = f"2fa-device@{DOMAIN}"


def _api(served: ServedAPI, token: str | None = None) -> httpx.Client:
    auth = {"Authorization": f"Token {token or served.token}"}
    return httpx.Client(base_url=served.url, headers=auth, timeout=30)


def _wait_for(check: Any, timeout: float = 60.0) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.5)
    raise AssertionError("timed out")


def _check_reminder_lists(page: Any, items: list[dict[str, Any]]) -> None:
    """One heading and table per list, a row per reminder under its own list."""
    lists = [i for i in items if i["data_type"] == "cloudkit_reminders.list"]
    reminders = [i for i in items if i["data_type"] == "cloudkit_reminders.reminder"]
    assert lists and reminders
    assert page.locator("tbody tr").count() == len(reminders)
    for lst in lists:
        section = page.locator("section", has=page.get_by_role("heading", name=lst["name"]))
        titles = section.locator("tbody tr td:first-child").all_inner_texts()
        mine = [r["title"] for r in reminders if r["list_id"] == lst["id"]]
        assert titles == mine, lst["name"]
        if lst["shared"]:
            assert "shared" in section.locator("p").first.inner_text()


def test_integrator_flow_in_chromium(
    served: ServedAPI, receiver: Receiver, browser: Any, tmp_path: Path
) -> None:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    sign_in_by_keyboard(page, served.url, served.token)
    cookie = next(c for c in context.cookies() if c["name"] == "cloudtap_dashboard")
    assert cookie["httpOnly"] and cookie["sameSite"] == "Strict"
    assert page.evaluate("document.cookie") == ""  # HttpOnly: invisible to scripts

    # A webhook config on the loopback receiver, tested on creation.
    page.get_by_role("link", name="Configs").click()
    page.get_by_label("Webhook URL").fill(receiver.url)
    page.get_by_role("button", name="Add webhook config").click()
    assert receiver.url in page.content()

    # A 2FA session through the form: password, then the code.
    page.get_by_role("link", name="Sessions").click()
    assert unlabelled_fields(page) == []
    page.get_by_label("Apple ID", exact=True).fill(APPLE_ID)
    page.get_by_label("Apple ID password").fill("sandbox-password")
    page.get_by_role("button", name="Sign in to iCloud").click()
    page.wait_for_url(re.compile(r"/dashboard/sessions/[0-9a-f-]+$"))
    assert "code-required" in page.content()
    assert "Ask the account owner for the 6-digit code" in page.content()
    page.get_by_label("Verification code").fill("123456")
    page.get_by_role("button", name="Send code").click()
    page.wait_for_url(re.compile(r"/dashboard/sessions/[0-9a-f-]+$"))
    session_id = page.url.rsplit("/", 1)[1]
    assert page.locator(".badge.state-active").first.inner_text() == "active"
    assert _api(served).get(f"/sessions/{session_id}").json()["state"] == "active"

    # A poll of every data type (and the info types), followed live until it completes.
    page.get_by_role("link", name="Poll this session's data").click()
    for data_type in SEVEN_DATA_TYPES:
        assert page.get_by_label(data_type).is_checked()
    page.get_by_role("button", name="Start poll").click()
    page.wait_for_url(re.compile(r"/dashboard/polls/[0-9a-f-]+$"))
    poll_id = page.url.rsplit("/", 1)[1]
    # No reload: live.js swaps the progress in until the poll settles.
    page.locator("#poll-state", has_text="completed").wait_for(timeout=120_000)
    page.screenshot(path=str(tmp_path / "poll.png"), full_page=True)
    targets = page.locator("tr.task").evaluate_all("rows => rows.map(r => r.dataset.target)")
    assert set(SEVEN_DATA_TYPES) <= set(targets)
    poll = _api(served).get(f"/polls/{poll_id}").json()
    assert poll["state"] == "completed"
    assert len(poll["tasks_succeeded"]) + len(poll["tasks_failed"]) == len(targets)
    assert page.locator("a", has_text="download json").count() == len(poll["results"]["data"])

    # The photo grid, its thumbnails fetched by one files poll, then served cached.
    page.locator("tr[data-target='icpl.photos'] a", has_text="view").click()
    photos_result = next(r for r in poll["results"]["data"] if r["identifier"] == "icpl.photos")
    photos = httpx.get(photos_result["signed_url"]["url"]).json()["data"]
    assert len(photos) > 0
    assert page.locator(".grid figure").count() == len(photos)
    page.get_by_role("button", name="Load thumbnails").click()
    thumbs = page.locator("img[src$='/content']")
    _wait_for(lambda: thumbs.count() == len(photos), timeout=120)
    # Polled from Python: wait_for_function evaluates its string with eval, which the
    # dashboard's Content-Security-Policy (script-src 'self') rightly refuses.
    _wait_for(
        lambda: thumbs.evaluate_all("imgs => imgs.every(i => i.complete && i.naturalWidth > 0)"),
        timeout=120,
    )
    page.screenshot(path=str(tmp_path / "photos.png"), full_page=True)
    photos_url = page.url
    polls_before = _api(served).get("/polls", params={"session": session_id}).json()
    page.reload()
    assert page.locator("img[src$='/content']").count() == len(photos)
    names = page.locator(".grid img").evaluate_all("imgs => imgs.map(i => i.alt)")
    assert names == [p["filename"] for p in photos]
    assert page.get_by_role("button", name="Load thumbnails").count() == 0
    polls_after = _api(served).get("/polls", params={"session": session_id}).json()
    assert polls_after["total_count"] == polls_before["total_count"]
    src = page.locator("img[src$='/content']").first.get_attribute("src")
    image = context.request.get(f"{served.url}{src}")
    assert image.headers["content-type"] == "image/jpeg" and image.body()[:2] == b"\xff\xd8"
    assert "private" in image.headers["cache-control"]

    # Redeliver a delivered webhook: a new attempt is listed and the receiver gets it again.
    event = _wait_for(
        lambda: next(
            (
                e
                for e in _api(served).get("/events", params={"state": "delivered"}).json()["data"]
                if e["type"] == "poll" and e["action"] == "completed"
            ),
            None,
        )
    )
    deliveries = receiver.event_ids().count(event["id"])
    page.get_by_role("link", name="Events").click()
    section = page.locator(f"#event-{event['id']}")
    attempts = section.locator("tr.attempt").count()
    assert attempts == len(event["attempts"]) >= 1
    section.get_by_role("button", name=f"Redeliver event {event['id']}").click()
    _wait_for(lambda: receiver.event_ids().count(event["id"]) == deliveries + 1)
    page.goto(f"{served.url}/dashboard/events#event-{event['id']}")
    assert page.locator(f"#event-{event['id']} tr.attempt").count() == attempts + 1

    # Keys: create one (its token shown once), rotate it; only the new token works.
    page.get_by_role("link", name="Keys").click()
    page.get_by_role("button", name="Create key").click()
    first_token = page.locator("#new-token").inner_text()
    key_id = _api(served, first_token).get("/key").json()["id"]
    page.get_by_role("link", name="Keys").click()
    assert page.locator("#new-token").count() == 0  # shown once
    page.get_by_role("button", name=f"Rotate key {key_id}").click()
    second_token = page.locator("#new-token").inner_text()
    assert second_token != first_token
    assert _api(served, first_token).get("/key").status_code == 401
    assert _api(served, second_token).get("/key").json()["id"] == key_id
    page.get_by_role("button", name=f"Revoke key {key_id}").click()
    assert page.locator(f"#key-{key_id} .badge").inner_text() == "deactivated"
    assert _api(served, second_token).get("/key").status_code == 401

    # Phone width: nothing overflows the screen sideways.
    phone = browser.new_context(
        viewport={"width": 375, "height": 740}, storage_state=context.storage_state()
    )
    small = phone.new_page()
    for path in (
        "/dashboard/sessions",
        f"/dashboard/polls/{poll_id}",
        photos_url,
        "/dashboard/events",
    ):
        small.goto(path if path.startswith("http") else f"{served.url}{path}")
        width = small.evaluate("document.documentElement.scrollWidth")
        assert width <= 375, (path, width)
    small.screenshot(path=str(tmp_path / "phone-events.png"))
    phone.close()

    # Sign out: back to the sign-in page, and the pages are closed.
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url(f"{served.url}/dashboard/sign-in")
    page.goto(f"{served.url}/dashboard/polls/{poll_id}")
    assert page.url.endswith("/dashboard/sign-in")
    context.close()


def _ensure_a_poll(served: ServedAPI) -> None:
    """The first organisation has a session, a poll and results (when run alone)."""
    api = _api(served)
    if api.get("/polls").json()["total_count"]:
        return
    user = api.post("/users", json={"identifier": "isolation"}).json()
    source = {"user": user["id"], "type": "icloud.account", "identifier": "no2fa@" + DOMAIN}
    session = api.post(
        "/sessions",
        json={"source": source, "payload": {"password": "sandbox-password"}},
        headers={"Ricloud-Await": "30"},
    ).json()
    assert session["state"] == "active", session
    poll = api.post(
        "/polls",
        json={"session": session["id"], "payload": {"info_types": ["icloud.account.info"]}},
        headers={"Ricloud-Await": "30"},
    ).json()
    assert poll["state"] == "completed", poll


def test_second_organisation_sees_none_of_the_first(served: ServedAPI, browser: Any) -> None:
    _ensure_a_poll(served)
    first = _api(served)
    owned: dict[str, list[str]] = {
        path: [o["id"] for o in first.get(path, params={"limit": 1000}).json()["data"]]
        for path in ("/users", "/sessions", "/polls", "/events", "/results", "/keys")
    }
    other_token = create_key(served.data_dir, "Another Org")
    context = browser.new_context()
    page = context.new_page()
    sign_in_by_keyboard(page, served.url, other_token)
    seen = ""
    for path in ("users", "sessions", "polls", "events", "keys", "configs", "subscriptions"):
        page.goto(f"{served.url}/dashboard/{path}")
        seen += page.content()
    for path, ids in owned.items():
        leaked = [i for i in ids if i in seen]
        assert leaked == [], (path, leaked)
    for url in (
        f"/dashboard/sessions/{owned['/sessions'][0]}",
        f"/dashboard/polls/{owned['/polls'][0]}",
        f"/dashboard/results/{owned['/results'][0]}",
        f"/dashboard/results/{owned['/results'][0]}/content",
    ):
        answer = page.goto(f"{served.url}{url}")
        assert answer.status == 404, url
    # Acting on them is refused the same way.
    page.goto(f"{served.url}/dashboard/events")
    csrf = page.locator("input[name=csrf]").first.get_attribute("value")
    refused = context.request.post(
        f"{served.url}/dashboard/events/{owned['/events'][0]}/redeliver",
        form={"csrf": csrf},
    )
    assert refused.status == 404
    context.close()


def test_sandbox_account_in_one_click_with_tables_configs_and_subscriptions(
    served: ServedAPI, browser: Any
) -> None:
    context = browser.new_context()
    page = context.new_page()
    sign_in_by_keyboard(page, served.url, served.token)
    page.get_by_role("link", name="Sandbox accounts").click()
    assert "callkit-sync-disabled" in page.content()
    assert "sandbox-password" in page.content() and "123456" in page.content()
    page.get_by_role("button", name=f"Start a session with rich@{DOMAIN}").click()
    page.wait_for_url(re.compile(r"/dashboard/sessions/[0-9a-f-]+$"))
    assert page.locator(".badge.state-active").first.inner_text() == "active"

    page.get_by_role("link", name="Poll this session's data").click()
    for box in page.locator("input[type=checkbox]").all():
        box.uncheck()
    for data_type in (
        "fmip.devices",
        "mme_contacts.contacts",
        "mme_calendar.events",
        "cloudkit_reminders.reminders",
    ):
        page.get_by_label(data_type).check()
    page.get_by_role("button", name="Start poll").click()
    page.locator("#poll-state", has_text="completed").wait_for(timeout=180_000)
    poll_id = page.url.rsplit("/", 1)[1]
    results = _api(served).get(f"/polls/{poll_id}").json()["results"]["data"]
    poll_url = page.url
    for result in results:
        items = httpx.get(result["signed_url"]["url"]).json()["data"]
        assert items, result["identifier"]
        page.goto(f"{served.url}/dashboard/results/{result['id']}")
        rows = page.locator("tbody tr")
        if result["identifier"] == "cloudkit_reminders.reminders":
            _check_reminder_lists(page, items)
            continue
        assert rows.count() == min(len(items), 500), result["identifier"]
        if result["identifier"] == "fmip.devices":
            for row, device in zip(rows.all(), items, strict=True):
                cells = row.locator("td").all_inner_texts()
                assert cells[0] == device["name"]
                assert cells[2].startswith(f"{round(device['battery_level'] * 100)}%")
        if result["identifier"] == "mme_contacts.contacts":
            assert items[0]["last_name"] in rows.first.inner_text()
        if result["identifier"] == "mme_calendar.events":
            assert (items[0]["title"] or "(no title)") in rows.first.inner_text()
    page.goto(poll_url)

    # A storage config, its test run from the dashboard and the test task's outcome.
    page.get_by_role("link", name="Configs").click()
    folder = served.data_dir / "results" / "dashboard-config-test"
    page.get_by_label("Storage URL").fill(f"local://{folder}")
    page.get_by_role("button", name="Add storage config").click()
    config = next(
        c for c in _api(served).get("/configs/storage").json()["data"] if str(folder) in c["url"]
    )
    row = page.locator("tr", has=page.locator(f"code:text-is('{config['url']}')"))
    row.get_by_role("button", name="Test").click()
    _wait_for(
        lambda: _api(served).get(f"/configs/storage/{config['id']}").json()["state"] == "valid"
    )
    tests = _api(served).get("/tasks", params={"type": "storage_config.test"}).json()["data"]
    assert any(t["target"] == config["id"] and t["state"] == "succeeded" for t in tests)
    page.reload()
    assert "test succeeded" in " ".join(row.locator("td").nth(3).inner_text().split())
    # Gone again: the served API is shared with later tests, whose results would
    # otherwise go to this config (it gives no signed links, as documented).
    assert _api(served).delete(f"/configs/storage/{config['id']}").status_code == 200

    # A subscription through the form, then stopped.
    page.get_by_role("link", name="Subscriptions").click()
    page.get_by_label("fmip.devices").check()
    page.get_by_role("button", name="Subscribe").click()
    subs = _api(served).get("/subscriptions").json()["data"]
    assert subs and subs[0]["poll_payload"]["data_types"] == ["fmip.devices"]
    page.get_by_role("button", name="Stop").first.click()
    assert _api(served).get(f"/subscriptions/{subs[0]['id']}").json()["state"] == "deleted"
    context.close()
