"""What a photo listing costs per asset, counted (not timed): calls into cloudtap's own
code and writes to the result, at 2 pages and at 10. Per asset they must not grow with
what is already listed (issue 23: a million assets are 10,000 pages), and building an
item stays a few calls (it runs a million times). Apple is the in-process fake."""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path
from types import FrameType
from typing import Any

from cloudtap.icloud.connector import Filters
from cloudtap.icloud.datatypes import icpl_photos
from cloudtap.icloud.datatypes.stream import ItemStream
from cloudtap.icloud.services.photos import PAGE_ASSETS
from cloudtap.publish.json_results import JsonDataWriter
from tests.icloud.services.photos_fake import FakeCloudKit, FakeLibrary, fake_assets

OWN_CODE = str(Path(icpl_photos.__file__).parents[2])  # the cloudtap package
# Calls into cloudtap per listed asset of the fake's one-resource assets (item building,
# joining, writing; a page's own requests shared by its 100 assets): 35 when this test
# was written, 49 before (a call per resource looked for, found or not).
CALLS_PER_ASSET = 40


@dataclass
class CountingSink:
    writes: int = 0
    size: int = 0

    def write(self, chunk: bytes) -> None:
        self.writes += 1
        self.size += len(chunk)


async def _listing_cost(assets: int) -> tuple[float, float, int]:
    """(calls into cloudtap per asset, writes per asset, items) of one full listing."""
    library = FakeLibrary(FakeCloudKit("private", fake_assets(assets)))
    sink = CountingSink()
    writer = JsonDataWriter(sink)
    calls = 0

    def count(frame: FrameType, event: str, _: Any) -> None:
        nonlocal calls
        if event == "call" and frame.f_code.co_filename.startswith(OWN_CODE):
            calls += 1

    items = ItemStream(lambda sink_cursor: icpl_photos.fetch(library, Filters(), sink_cursor))
    listed = 0
    sys.setprofile(count)
    try:
        async for item in items:
            writer.add(item)
            listed += 1
    finally:
        sys.setprofile(None)
    writer.close()
    return calls / listed, sink.writes / listed, listed


async def test_per_asset_cost_does_not_grow_with_the_pages_already_listed() -> None:
    few_calls, few_writes, few = await _listing_cost(2 * PAGE_ASSETS)
    many_calls, many_writes, many = await _listing_cost(10 * PAGE_ASSETS)
    assert (few, many) == (2 * PAGE_ASSETS, 10 * PAGE_ASSETS)
    # A page's fixed calls (zones, count, its request) spread thinner, never thicker.
    assert many_calls <= few_calls * 1.02, (few_calls, many_calls)
    assert many_writes <= few_writes, (few_writes, many_writes)
    assert many_calls <= CALLS_PER_ASSET, many_calls
