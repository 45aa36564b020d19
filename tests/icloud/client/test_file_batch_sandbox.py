"""Many files through one batch opener against the sandbox: byte-exact, records looked up
many at a time, and a file the batch cannot resolve gets the error it gets alone."""

from __future__ import annotations

import asyncio
import hashlib

import pytest

from cloudtap.icloud import errors
from cloudtap.icloud.client.connector import ICloudConnector
from cloudtap.icloud.connector import Filters, JSONDict
from tests.icloud.client.conftest import RequestLog
from tests.icloud.datatypes.sandbox_session import session


async def _md5(connector: ICloudConnector, state: JSONDict, file_id: str) -> str:
    stream = await connector.open_file(state, file_id)
    return hashlib.md5(b"".join([c async for c in stream.iter_bytes()])).hexdigest()


async def test_batch_downloads_are_byte_exact_with_lookups_in_batches(
    connector: ICloudConnector, requests_made: RequestLog
) -> None:
    state = await session(connector, "no2fa")
    items = [item async for item in connector.fetch_items(state, "icpl.photos", Filters())]
    files = {f["id"]: f for item in items[:40] for f in item["files"]}
    assert len(files) > 40  # originals and live-photo videos: records shared by files
    requests_made.clear()
    got: dict[str, str] = {}
    async with connector.file_batch(state, list(files)) as opener:

        async def fetch(file_id: str) -> None:
            stream = await opener.open(file_id)
            assert stream.info.size == files[file_id]["size"]
            body = b"".join([c async for c in stream.iter_bytes()])
            got[file_id] = hashlib.md5(body).hexdigest()

        for start in range(0, len(files), 4):
            await asyncio.gather(*(fetch(i) for i in list(files)[start : start + 4]))
    lookups = [u for u in requests_made.urls if u.endswith("/records/lookup")]
    assert 1 <= len(lookups) <= 2, lookups  # 40 records: one lookup per zone at most
    for file_id in files:
        assert got[file_id] == await _md5(connector, state, file_id), file_id


async def test_batch_reports_unknown_files_as_alone(connector: ICloudConnector) -> None:
    state = await session(connector, "no2fa")
    missing = "icpl://cDpQOm5vLXN1Y2gtcmVjb3JkOm8"  # p:P:no-such-record:o
    async with connector.file_batch(state, [missing, "icpl://bm9wZQ"]) as opener:
        for file_id in (missing, "icpl://bm9wZQ", "mme_contact_image://x"):
            with pytest.raises(errors.NotFound):
                await opener.open(file_id)
