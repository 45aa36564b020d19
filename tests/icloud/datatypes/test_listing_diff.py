"""``listing_diff.diffed`` with a feed: a feed's answer is published as it is and folded
into the kept digests; a feed with no answer falls back to the whole listing compared
with those digests. The fetch and the feed are our own stand-ins (no Apple here)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any, cast

from cloudtap.icloud.client.apple import AppleClient
from cloudtap.icloud.connector import Filters, JSONDict
from cloudtap.icloud.datatypes.listing_diff import FeedChanges, diffed, digest
from cloudtap.icloud.datatypes.stream import CursorSink, ItemStream

NO_CLIENT = cast(AppleClient, None)
BOOK: dict[str, JSONDict] = {"a": {"id": "a", "v": 1}, "b": {"id": "b", "v": 1}}


async def _whole(
    client: AppleClient, filters: Filters, sink: CursorSink
) -> AsyncIterator[JSONDict]:
    for item in BOOK.values():
        yield item
    sink({"tokens": "t1"})


async def _drain(stream: ItemStream) -> list[JSONDict]:
    return [item async for item in stream]


async def _listing(fetch: Any, cursor: JSONDict | None) -> tuple[list[JSONDict], ItemStream]:
    filters = Filters(since=datetime.now(UTC) if cursor else None, cursor=cursor)
    stream = ItemStream(lambda sink: fetch(NO_CLIENT, filters, sink))
    return await _drain(stream), stream


async def test_a_feeds_answer_is_published_and_folded_into_the_digests() -> None:
    async def feed(client: AppleClient, cursor: JSONDict) -> FeedChanges | None:
        assert cursor["tokens"] == "t1"
        return FeedChanges([{"id": "c", "v": 1}], ["a"], {"tokens": "t2"})

    fetch = diffed(_whole, feed)
    first, stream = await _listing(fetch, None)
    assert first == list(BOOK.values())
    assert stream.cursor == {"tokens": "t1", "listed": {k: digest(v) for k, v in BOOK.items()}}
    changed, stream = await _listing(fetch, stream.cursor)
    assert changed == [{"id": "c", "v": 1}] and stream.deleted == ["a"]
    assert stream.cursor is not None and stream.cursor["tokens"] == "t2"
    assert set(stream.cursor["listed"]) == {"b", "c"}


async def test_a_feed_without_an_answer_falls_back_to_the_whole_listing() -> None:
    async def feed(client: AppleClient, cursor: JSONDict) -> FeedChanges | None:
        return None

    fetch = diffed(_whole, feed)
    _, stream = await _listing(fetch, None)
    cursor = dict(stream.cursor or {})
    cursor["listed"] = {"a": digest(BOOK["a"]), "gone": "x"}  # b new since, "gone" gone
    changed, stream = await _listing(fetch, cursor)
    assert changed == [BOOK["b"]] and stream.deleted == ["gone"]
    assert stream.cursor is not None and stream.cursor["tokens"] == "t1"
