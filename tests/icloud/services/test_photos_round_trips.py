"""Requests a full listing asks together: the private and shared zone lists, PrimarySync's
indexing check and its count; each verdict is still the one it gave when asked alone."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest

from cloudtap.icloud import errors
from cloudtap.icloud.connector import Filters
from cloudtap.icloud.datatypes import icpl_photos
from cloudtap.icloud.datatypes.stream import ItemStream
from cloudtap.icloud.services.photos import PRIMARY_ZONE, PhotoZone
from cloudtap.publish.json_results import JsonDataWriter
from tests.icloud.services.photos_fake import FakeCloudKit, FakeLibrary, fake_assets


class Watched(FakeCloudKit):
    """A fake database that notes which requests were in flight together and can fail
    one kind of request."""

    def __init__(
        self, *args: Any, in_flight: set[str], seen: list[frozenset[str]], **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.in_flight, self.seen = in_flight, seen
        self.failures: dict[str, errors.ICloudError] = {}
        self.indexing_state = "FINISHED"
        self.asked: list[str] = []

    async def call(self, operation: str, body: dict[str, Any]) -> dict[str, Any]:
        kind = body.get("query", {}).get("recordType") if operation == "records/query" else None
        label = f"{self.scope} {kind or operation}"
        self.asked.append(label)
        self.in_flight.add(label)
        await asyncio.sleep(0)  # let anything asked together start too
        self.seen.append(frozenset(self.in_flight))
        self.in_flight.discard(label)
        if label in self.failures:
            raise self.failures[label]
        if kind == "CheckIndexingState":
            state = {"recordName": "s", "fields": {"state": {"value": self.indexing_state}}}
            return {"records": [state], "syncToken": "CHECK-TOKEN"}
        if operation == "internal/records/query/batch":
            reply = await super().call(operation, body)
            reply["batch"][0]["syncToken"] = "COUNT-TOKEN"
            return reply
        return await super().call(operation, body)


def _library(assets: int = 5) -> tuple[FakeLibrary, Watched, Watched, list[frozenset[str]]]:
    in_flight: set[str] = set()
    seen: list[frozenset[str]] = []
    private = Watched("private", fake_assets(assets), in_flight=in_flight, seen=seen)
    shared = Watched("shared", [], zones_reply={"zones": []}, in_flight=in_flight, seen=seen)
    return FakeLibrary(private, shared), private, shared, seen


def _asked_together(seen: list[frozenset[str]], *labels: str) -> bool:
    return any(set(labels) <= moment for moment in seen)


async def test_a_full_listing_asks_zone_lists_check_and_count_together() -> None:
    library, private, _, seen = _library()
    cursor: list[Any] = []
    items = [i async for i in icpl_photos.fetch(library, Filters(), cursor.append)]
    assert len(items) == 5
    assert _asked_together(
        seen,
        "private zones/list",
        "shared zones/list",
        "private CheckIndexingState",
        "private internal/records/query/batch",
    )
    checks = private.asked.count("private CheckIndexingState")
    assert checks == 1  # PrimarySync's check is not asked a second time
    # The indexing check's token is the cursor's, as when it was asked first.
    assert cursor == [{"zones": {f"private/{PRIMARY_ZONE}": "CHECK-TOKEN"}}]


async def test_the_private_zone_list_verdict_comes_first() -> None:
    library, private, shared, _ = _library()
    private.failures["private zones/list"] = errors.AppleUnavailable("private")
    shared.failures["shared zones/list"] = errors.NotFound("shared")
    with pytest.raises(errors.AppleUnavailable):
        await library.zones()


async def test_no_primary_zone_is_icpl_disabled_whatever_the_shared_list_says() -> None:
    library, _, shared, _ = _library(assets=0)  # the private list has no PrimarySync
    shared.failures["shared zones/list"] = errors.SessionExpired("shared")
    with pytest.raises(errors.IcplDisabled):
        await library.zones()


@pytest.mark.parametrize("tolerated", [errors.ServiceDisabled, errors.AppleUnavailable])
async def test_a_shared_list_that_fails_as_before_is_no_shared_library(
    tolerated: type[errors.ICloudError],
) -> None:
    library, _, shared, _ = _library()
    shared.failures["shared zones/list"] = tolerated("no shared database")
    assert [z.key for z in await library.zones()] == [f"private/{PRIMARY_ZONE}"]


async def test_a_shared_list_that_ends_the_session_still_fails_the_listing() -> None:
    library, _, shared, _ = _library()
    shared.failures["shared zones/list"] = errors.SessionExpired("ended")
    with pytest.raises(errors.SessionExpired):
        await library.zones()


async def test_a_library_still_indexing_says_so_though_the_count_answered() -> None:
    library, private, _, _ = _library()
    private.indexing_state = "RUNNING"
    with pytest.raises(errors.PhotosIndexing):
        await library.checked_count(PhotoZone("private", {"zoneName": PRIMARY_ZONE}))


async def test_the_indexing_check_error_comes_before_the_count_error() -> None:
    library, private, _, _ = _library()
    private.failures["private CheckIndexingState"] = errors.SessionExpired("check")
    private.failures["private internal/records/query/batch"] = errors.AppleUnavailable("n")
    with pytest.raises(errors.SessionExpired):
        await library.checked_count(PhotoZone("private", {"zoneName": PRIMARY_ZONE}))


async def test_a_failed_count_fails_the_listing() -> None:
    library, private, _, _ = _library()
    private.failures["private internal/records/query/batch"] = errors.AppleUnavailable("n")
    with pytest.raises(errors.AppleUnavailable):
        await library.checked_count(PhotoZone("private", {"zoneName": PRIMARY_ZONE}))


async def test_the_zone_lists_verdict_comes_before_the_count() -> None:
    library, private, _, _ = _library()
    private.failures["private zones/list"] = errors.AppleUnavailable("private")
    private.failures["private CheckIndexingState"] = errors.SessionExpired("check")
    with pytest.raises(errors.AppleUnavailable):
        await library.zones_counted()


async def test_no_primary_zone_is_icpl_disabled_whatever_the_count_says() -> None:
    library, private, _, _ = _library(assets=0)
    private.failures["private CheckIndexingState"] = errors.ServiceDisabled("off")
    with pytest.raises(errors.IcplDisabled):
        await library.zones_counted()


async def test_a_listing_still_indexing_fails_once_the_zones_are_known() -> None:
    library, private, _, _ = _library()
    private.indexing_state = "RUNNING"
    with pytest.raises(errors.PhotosIndexing):
        [i async for i in icpl_photos.fetch(library, Filters(), lambda _c: None)]


async def test_a_shared_list_that_fails_otherwise_goes_on_and_says_so() -> None:
    # pyicloud lists on without the shared database's zones on any error; cloudtap too,
    # but the listing carries a warning and keeps no cursor (the next one is full again).
    library, _, shared, _ = _library()
    shared.failures["shared zones/list"] = errors.RateLimited("throttled")
    cursor: list[Any] = []
    stream = ItemStream(lambda sink: icpl_photos.fetch(library, Filters(), sink))
    items = [item async for item in stream]
    assert len(items) == 5 and cursor == [] and stream.cursor is None
    assert [w["code"] for w in stream.warnings] == ["shared-library-unavailable"]
    assert "rate-limited" in stream.warnings[0]["message"]
    out = _Sink()
    writer = JsonDataWriter(out)
    for item in items:
        writer.add(item)
    writer.close(warnings=stream.warnings)
    assert json.loads(out.data)["warnings"] == stream.warnings


class _Sink:
    def __init__(self) -> None:
        self.data = b""
        self.size = 0

    def write(self, chunk: bytes) -> None:
        self.data += chunk
        self.size += len(chunk)
