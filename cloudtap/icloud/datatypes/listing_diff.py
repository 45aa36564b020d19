"""Changes between two whole listings, for the data types Apple's web services give no
change feed (albums, contacts, calendar events, Find My devices).

A whole listing (no ``since``/``until``) leaves a cursor holding a digest of each item
(``{"listed": {id: digest}}``: no content, and sealed by the job layer like every
cursor). A later listing resumed from it still asks Apple for everything — there is no
cheaper question — but yields only the items that are new or changed since, and the ids
of those gone as deletions, so nothing already published is published again.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import AsyncIterator, Callable
from dataclasses import replace

from cloudtap.icloud.client.apple import AppleClient
from cloudtap.icloud.connector import Filters, JSONDict
from cloudtap.icloud.datatypes.stream import CursorSink, removed

CURSOR_KEY = "listed"
Fetcher = Callable[[AppleClient, Filters, CursorSink], AsyncIterator[JSONDict]]


def digest(item: JSONDict) -> str:
    text = json.dumps(item, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:20]


def _listed(cursor: JSONDict | None) -> dict[str, str] | None:
    found = (cursor or {}).get(CURSOR_KEY)
    if not isinstance(found, dict):
        return None
    return {str(k): str(v) for k, v in found.items()}


def _ignore(_cursor: JSONDict) -> None:
    return None


def diffed(fetch: Fetcher) -> Fetcher:
    """``fetch`` yielding only what changed since the cursor's listing, when given one."""

    async def produce(
        client: AppleClient, filters: Filters, set_cursor: CursorSink
    ) -> AsyncIterator[JSONDict]:
        before = _listed(filters.cursor)
        whole = filters.since is None and filters.until is None
        asked = filters if before is None else replace(filters, since=None, until=None)
        now: dict[str, str] = {}
        async for item in fetch(client, replace(asked, cursor=None), _ignore):
            item_id = item.get("id")
            if item_id is None:  # a warning or a tombstone: passed on as it is
                yield item
                continue
            now[str(item_id)] = mark = digest(item)
            if before is None or before.get(str(item_id)) != mark:
                yield item
        if before is not None:
            for gone in before.keys() - now.keys():
                yield removed(gone)
        if before is not None or whole:
            set_cursor({CURSOR_KEY: now})

    return produce
