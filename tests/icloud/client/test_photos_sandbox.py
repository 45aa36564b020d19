"""iCloud Photos end to end through the sandbox proxy: listing, downloads, incremental."""

from __future__ import annotations

import asyncio
import hashlib
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from cloudtap.icloud import errors
from cloudtap.icloud.client.connector import ICloudConnector
from cloudtap.icloud.connector import Credentials, Filters, JSONDict, TransportOptions
from cloudtap.icloud.services.photos import PAGE_CONCURRENCY
from cloudtap.icloud.transport import ssl_context
from tests.icloud.client.conftest import PASSWORD, RequestLog, apple_id
from tests.icloud.datatypes.sandbox_session import session as _session
from tests.support.sandbox import live_sandbox


async def _list(
    connector: ICloudConnector, state: JSONDict, filters: Filters
) -> tuple[list[JSONDict], Any]:
    stream = connector.fetch_items(state, "icpl.photos", filters)
    items = [item async for item in stream]
    return items, getattr(stream, "cursor", None)


async def _count_in_sandbox(connector: ICloudConnector, state: JSONDict) -> int:
    """What the sandbox's own count index says, summed over the library's zones."""
    from cloudtap.icloud.services.photos import PhotosLibrary

    async with connector._client(connector._session(state)) as client:
        library = PhotosLibrary(client)
        return sum([(await library.count(zone))[0] for zone in await library.zones()])


async def test_listing_covers_every_zone_once(connector: ICloudConnector) -> None:
    state = await _session(connector, "shared")
    items, cursor = await _list(connector, state, Filters())
    assert len(items) == await _count_in_sandbox(connector, state) > 30
    assert len({item["id"] for item in items}) == len(items)
    # The Shared Library is found in the private zone list, where the evidence puts it.
    zones = sorted(cursor["zones"])
    assert zones[0] == "private/PrimarySync" and len(zones) == 2
    assert zones[1].startswith("private/SharedSync-")
    for item in items:
        assert item["data_type"] == "icpl.asset"
        assert item["filename"] and item["files"]
        assert item["date_uploaded"] and item["date_created"]


async def test_items_are_stable_across_polls(connector: ICloudConnector) -> None:
    state = await _session(connector, "no2fa")
    first, _ = await _list(connector, state, Filters())
    second, _ = await _list(connector, state, Filters())
    assert first == second


async def test_pages_are_fetched_concurrently_once_the_count_is_known(
    connector: ICloudConnector, requests_made: RequestLog
) -> None:
    state = await _session(connector, "photos-10k")
    requests_made.clear()
    items, _ = await _list(connector, state, Filters())
    assert len(items) == await _count_in_sandbox(connector, state)
    pages = [u for u in requests_made.urls if u.endswith("/records/query")]
    assert len(pages) >= len(items) // 100


async def test_since_and_until_filter_on_date_uploaded(connector: ICloudConnector) -> None:
    state = await _session(connector, "no2fa")
    everything, _ = await _list(connector, state, Filters())
    dates = sorted(item["date_uploaded"] for item in everything)
    middle = datetime.strptime(dates[len(dates) // 2], "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC)
    newer, _ = await _list(connector, state, Filters(since=middle))
    older, _ = await _list(connector, state, Filters(until=middle))
    assert newer and older
    assert all(i["date_uploaded"] > dates[len(dates) // 2] for i in newer)
    assert all(i["date_uploaded"] < dates[len(dates) // 2] for i in older)
    assert len(newer) + len(older) == len(everything) - 1


async def test_incremental_with_sync_tokens_costs_at_most_three_requests(
    connector: ICloudConnector, requests_made: RequestLog
) -> None:
    state = await _session(connector, "shared")
    _, cursor = await _list(connector, state, Filters())
    requests_made.clear()
    again, next_cursor = await _list(connector, state, Filters(cursor=cursor))
    assert again == []
    assert len(requests_made.urls) <= 3, requests_made.urls
    assert next_cursor == cursor


async def test_since_now_on_the_100k_library_costs_at_most_three_requests(
    connector: ICloudConnector, requests_made: RequestLog
) -> None:
    state = await _session(connector, "photos-100k")
    requests_made.clear()
    items, _ = await _list(connector, state, Filters(since=datetime.now(UTC)))
    assert items == []
    assert len(requests_made.urls) <= 3, requests_made.urls


async def test_downloads_are_byte_exact(
    connector: ICloudConnector, transport: TransportOptions, requests_made: RequestLog
) -> None:
    state = await _session(connector, "no2fa")
    items, _ = await _list(connector, state, Filters())
    files = [f for item in items[:3] for f in item["files"]]
    async with httpx.AsyncClient(proxy=transport.proxy_url, verify=ssl_context(transport)) as raw:
        for entry in files:
            stream = await connector.open_file(state, entry["id"])
            assert stream.info.size == entry["size"]
            assert stream.info.extension == entry["extension"]
            got = b"".join([chunk async for chunk in stream.iter_bytes()])
            assert len(got) == entry["size"]
            # What the sandbox serves for the record's downloadURL, fetched independently.
            url = await _download_url(connector, state, entry["id"])
            served = (await raw.get(url)).content
            assert hashlib.md5(got).digest() == hashlib.md5(served).digest()
            tail = b"".join([chunk async for chunk in stream.iter_bytes(offset=100)])
            assert tail == served[100:]


async def _download_url(connector: ICloudConnector, state: JSONDict, file_id: str) -> str:
    from cloudtap.icloud.files.icpl import PhotoFileRef, locate
    from cloudtap.icloud.services.photos import PhotosLibrary

    async with connector._client(connector._session(state)) as client:
        _, url = await locate(PhotosLibrary(client), PhotoFileRef.parse(file_id))
    return url


async def test_shared_library_files_download(connector: ICloudConnector) -> None:
    state = await _session(connector, "shared")
    items, _ = await _list(connector, state, Filters())
    from cloudtap.icloud.files.icpl import PhotoFileRef

    refs = [(i, PhotoFileRef.parse(i["files"][0]["id"])) for i in items]
    shared = [i for i, ref in refs if ref.zone_name.startswith("SharedSync-")]
    assert shared
    entry = shared[0]["files"][0]
    stream = await connector.open_file(state, entry["id"])
    assert len(b"".join([c async for c in stream.iter_bytes()])) == entry["size"]


@pytest.mark.parametrize("file_id", ["icpl://bm9wZQ", "mme_contact_image://x", "icpl://"])
async def test_unknown_files_are_not_found(connector: ICloudConnector, file_id: str) -> None:
    state = await _session(connector, "no2fa")
    with pytest.raises(errors.NotFound):
        await connector.open_file(state, file_id)


async def test_photos_off_and_adp_are_task_errors(connector: ICloudConnector) -> None:
    state = await _session(connector, "photos-off")
    with pytest.raises(errors.IcplDisabled):
        await _list(connector, state, Filters())


async def test_info_types(connector: ICloudConnector) -> None:
    state = await _session(connector, "rich")
    assert set(connector.info_types()) >= {"icloud.account.info", "icloud.account.data_types"}
    profile = await connector.fetch_info(state, "icloud.account.info")
    assert profile["apple_id"] == apple_id("rich") and profile["full_name"]
    available = await connector.fetch_info(state, "icloud.account.data_types")
    photos = next(d for d in available["data_types"] if d["id"] == "icpl.photos")
    assert photos["available"] is True
    devices = await connector.fetch_info(state, "icloud.account.devices")
    assert devices["devices"] and all(d["name"] for d in devices["devices"])
    with pytest.raises(errors.NotFound):
        await connector.fetch_info(state, "icloud.nope")


async def test_downloads_survive_resets_and_expired_urls(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    # A sandbox of its own that cuts every download after 16 kB and expires download
    # URLs after one second (410 Gone), as Apple's content hosts do.
    monkeypatch.setenv("CLOUDTAP_SANDBOX_RESET_AFTER_BYTES", "16000")
    monkeypatch.setenv("CLOUDTAP_SANDBOX_DOWNLOAD_URL_TTL", "1")
    with live_sandbox(tmp_path) as sandbox:
        transport = TransportOptions(proxy_url=sandbox.proxy_url, ca_file=str(sandbox.ca_file))
        log = RequestLog()
        connector = ICloudConnector(transport, request_hooks=[log])
        state = await _session(connector, "no2fa")
        items, _ = await _list(connector, state, Filters())
        entry = max((f for i in items for f in i["files"]), key=lambda f: f["size"])
        assert entry["size"] > 5 * 16000
        stream = await connector.open_file(state, entry["id"])
        await asyncio.sleep(1.5)  # the URL we were given is now dead
        log.clear()
        got = b"".join([chunk async for chunk in stream.iter_bytes()])
    assert len(got) == entry["size"]
    downloads = [u for u in log.urls if "icloud-content" in u]
    assert len(downloads) >= entry["size"] // 16000  # resumed again and again
    assert any("records/lookup" in u for u in log.urls)  # the dead URL was refreshed


async def test_throttling_is_reported_not_hammered(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("CLOUDTAP_SANDBOX_THROTTLE_PER_MINUTE", "8")
    with live_sandbox(tmp_path) as sandbox:
        transport = TransportOptions(proxy_url=sandbox.proxy_url, ca_file=str(sandbox.ca_file))
        log = RequestLog()
        connector = ICloudConnector(transport, request_hooks=[log])
        state = await _session(connector, "photos-10k")
        with pytest.raises(errors.RateLimited) as raised:
            await _list(connector, state, Filters())
    # The quota counts the web session's requests. No retry storm: past it, only the
    # pages that were already in flight when the first 503 came back.
    cloudkit = [u for u in log.urls if "ckdatabasews" in u]
    assert len(cloudkit) <= 8 + PAGE_CONCURRENCY
    assert raised.value.info and raised.value.info["retry_after_seconds"] >= 1


async def test_replies_cut_short_are_read_again(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("CLOUDTAP_SANDBOX_MALFORMED_JSON_EVERY", "5")
    with live_sandbox(tmp_path) as sandbox:
        transport = TransportOptions(proxy_url=sandbox.proxy_url, ca_file=str(sandbox.ca_file))
        connector = ICloudConnector(transport)
        outcome = await connector.login(Credentials(apple_id("no2fa"), PASSWORD), None)
        if outcome.state != "active":  # the login's own reply may be the one cut short
            outcome = await connector.login(Credentials(apple_id("no2fa"), PASSWORD), None)
        assert outcome.session_state
        items, _ = await _list(connector, outcome.session_state, Filters())
    assert len(items) > 30
