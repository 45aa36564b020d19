"""Dashboard lists page through every object with Older / Newer links (plain HTTP)."""

from __future__ import annotations

import re
from datetime import timedelta

import httpx

from cloudtap.config import Settings
from cloudtap.dashboard.paging import PAGE_SIZE
from cloudtap.store.accounts import key_for_token
from cloudtap.store.db import transaction
from cloudtap.store.ids import utcnow
from cloudtap.store.models import Event
from tests.cli.serve_process import ServedAPI
from tests.dashboard.support import create_key, signed_in_client

EVENT_ID = re.compile(r'id="event-([0-9a-f-]{36})"')
OLDER = re.compile(r'<a href="([^"]+)" rel="next">')
NEWER = re.compile(r'<a href="([^"]+)" rel="prev">')


def _events(served: ServedAPI, token: str, count: int) -> list[str]:
    """``count`` failed events of ``token``'s key, oldest first."""
    settings = Settings.from_env({"CLOUDTAP_DATA_DIR": str(served.data_dir)})
    start = utcnow() - timedelta(hours=1)
    with transaction(settings.database_url) as db:
        key = key_for_token(db, token)
        assert key is not None
        rows = [
            Event(
                organisation_id=key.organisation_id,
                key_id=key.id,
                type="poll",
                action="completed",
                data={"id": f"poll-{i}"},
                state="failed",
                date_created=start + timedelta(seconds=i),
            )
            for i in range(count)
        ]
        for row in rows:  # one by one: the list's order is the insertion order
            db.add(row)
            db.flush()
        return [row.id for row in rows]


def _page(client: httpx.Client, query: str) -> tuple[list[str], str | None, str | None]:
    html = client.get(f"/dashboard/events{query}").text
    older, newer = OLDER.search(html), NEWER.search(html)
    return (
        EVENT_ID.findall(html),
        older.group(1).replace("&amp;", "&") if older else None,
        newer.group(1).replace("&amp;", "&") if newer else None,
    )


def test_events_page_through_all_and_back(served: ServedAPI) -> None:
    token = create_key(served.data_dir, "Paging Org")
    made = _events(served, token, 2 * PAGE_SIZE + 7)
    client, _ = signed_in_client(served.url, token)
    pages: list[list[str]] = []
    query: str | None = "?state=failed"
    newer_links: list[str | None] = []
    while query is not None:
        ids, query, newer = _page(client, query)
        pages.append(ids)
        newer_links.append(newer)
        assert query is None or "state=failed" in query  # the filter is kept
    assert [len(p) for p in pages] == [PAGE_SIZE, PAGE_SIZE, 7]
    assert [i for p in pages for i in p] == list(reversed(made))  # newest first, each once
    assert newer_links[0] is None and all(newer_links[1:])
    # Newer from the last page is the middle page again.
    back, older, _ = _page(client, newer_links[-1] or "")
    assert back == pages[1] and older is not None


def test_a_cursor_naming_nothing_is_a_clear_error(served: ServedAPI) -> None:
    client, _ = signed_in_client(served.url, served.token)
    for page in ("events", "polls", "sessions"):
        answer = client.get(f"/dashboard/{page}?after=no-such-object")
        assert answer.status_code == 400, page
        assert "names no object in this list" in answer.text
