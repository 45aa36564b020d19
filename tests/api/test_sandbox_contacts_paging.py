"""Issue 19.5: contacts-5k-paged@'s contacts host ignores ``limit``/``offset`` and sends
the whole book on every request. A contacts poll still publishes 5,000 cards, each once,
in a bounded number of requests (counted at the sandbox)."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

from cloudtap.icloud.services import contacts as service
from tests.api.live_sandbox import LiveAPI, apple_id, live_api  # noqa: F401

CONTACTS = "mme_contacts.contacts"
DEADLINE_SECONDS = 90.0  # a loop without progress must fail the test, not hang it


def _settled(live: LiveAPI, poll: dict[str, Any]) -> dict[str, Any]:
    deadline = time.monotonic() + DEADLINE_SECONDS
    while poll["state"] in ("pending", "processing") and time.monotonic() < deadline:
        poll = live.client.get(f"/polls/{poll['id']}", headers=live.headers).json()
    return poll


def test_a_host_ignoring_paging_gives_every_card_once_in_bounded_requests(
    live: LiveAPI,
) -> None:
    account = apple_id("contacts-5k-paged")
    session = live.active_session("contacts-5k-paged")
    created = live.client.post(
        "/polls",
        json={"session": session["id"], "payload": {"data_types": [CONTACTS]}},
        headers=live.headers,
    )
    poll = _settled(live, created.json())
    asked = live.sandbox.world.tally.count(account, "co/contacts")
    assert asked <= service.MAX_REQUESTS, f"{asked} /co/contacts requests"
    assert poll["state"] == "completed", poll["state"]
    assert poll["errors"]["data"] == []
    [result] = poll["results"]["data"]
    items = json.loads(Path(result["url"].removeprefix("local://")).read_bytes())["data"]
    ids = [item["uid"] for item in items]
    assert len(ids) == len(set(ids)) == 5_000
    assert asked == 1  # the whole book in one reply, as every public client asks
