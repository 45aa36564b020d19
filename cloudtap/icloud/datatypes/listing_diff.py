"""Changes between two whole listings, for the data types Apple's web services give no
change feed (albums, calendar events, Find My devices), or one that may not answer
(contacts).

A whole listing (no ``since``/``until``) leaves a cursor holding a digest of each item
(``{"listed": {id: digest}}``: no content, and sealed by the job layer like every
cursor), next to what the listing itself reported for later (its feed's tokens). A later
listing resumed from it asks the data type's ``Feed`` first, when it has one: its
changes are yielded and folded into the digests. Without a feed, or when the feed gives
no answer to resume from, it asks Apple for everything again but yields only the items
that are new or changed since, and the ids of those gone as deletions, so nothing already
published is published again either way.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, replace

from cloudtap.icloud.client.apple import AppleClient
from cloudtap.icloud.connector import Filters, JSONDict
from cloudtap.icloud.datatypes.stream import CursorSink, removed

CURSOR_KEY = "listed"
Fetcher = Callable[[AppleClient, Filters, CursorSink], AsyncIterator[JSONDict]]


@dataclass(frozen=True)
class FeedChanges:
    """A feed's answer: items added or changed, ids of items gone, and the cursor's own
    part to keep for the next time (the digests are added to it here)."""

    items: list[JSONDict]
    removed: list[str]
    cursor: JSONDict


# Asked with the kept cursor; None: no answer to resume from, list everything instead.
Feed = Callable[[AppleClient, JSONDict], Awaitable[FeedChanges | None]]


def digest(item: JSONDict) -> str:
    text = json.dumps(item, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:20]


def _listed(cursor: JSONDict | None) -> dict[str, str] | None:
    found = (cursor or {}).get(CURSOR_KEY)
    if not isinstance(found, dict):
        return None
    return {str(k): str(v) for k, v in found.items()}


def diffed(fetch: Fetcher, feed: Feed | None = None) -> Fetcher:
    """``fetch`` yielding only what changed since the cursor's listing, when given one:
    from ``feed`` if it answers, else from a whole listing compared with the digests."""

    async def produce(
        client: AppleClient, filters: Filters, set_cursor: CursorSink
    ) -> AsyncIterator[JSONDict]:
        before = _listed(filters.cursor)
        if before is not None and feed is not None and filters.cursor is not None:
            changes = await feed(client, filters.cursor)
            if changes is not None:
                for item in changes.items:
                    before[str(item.get("id"))] = digest(item)
                    yield item
                for gone in changes.removed:
                    before.pop(gone, None)
                    yield removed(gone)
                set_cursor({**changes.cursor, CURSOR_KEY: before})
                return
        whole = filters.since is None and filters.until is None
        asked = filters if before is None else replace(filters, since=None, until=None)
        now: dict[str, str] = {}
        reported: JSONDict = {}  # what the listing keeps for later (a feed's tokens)
        async for item in fetch(client, replace(asked, cursor=None), reported.update):
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
            set_cursor({**reported, CURSOR_KEY: now})

    return produce
