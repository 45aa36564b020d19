"""Two logins of one Apple ID never overlap; different Apple IDs do not wait; the
connector uses whichever lock provider it is given."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import pytest

from cloudtap.icloud.connector import Credentials, FileInfo, TransportOptions
from cloudtap.icloud.locks import LockTimeout, apple_id_lock


async def test_same_apple_id_is_serialised() -> None:
    events: list[str] = []

    async def login(tag: str) -> None:
        async with apple_id_lock("Someone@Example.com "):
            events.append(f"{tag}-in")
            await asyncio.sleep(0.05)
            events.append(f"{tag}-out")

    await asyncio.gather(login("a"), login("b"))
    assert events in (["a-in", "a-out", "b-in", "b-out"], ["b-in", "b-out", "a-in", "a-out"])


async def test_other_apple_ids_run_together() -> None:
    async with apple_id_lock("one@example.com"):
        async with asyncio.timeout(1):
            async with apple_id_lock("two@example.com"):
                pass


async def test_waiting_gives_up_after_the_timeout() -> None:
    async with apple_id_lock("busy@example.com"):
        with pytest.raises(LockTimeout):
            async with apple_id_lock("busy@example.com", timeout=0.05):
                pass


async def test_downloads_of_one_account_are_bounded() -> None:
    from cloudtap.icloud.locks import DOWNLOADS_PER_ACCOUNT, download_slot

    running = peak = 0

    async def transfer() -> None:
        nonlocal running, peak
        async with download_slot("many@example.com"):
            running += 1
            peak = max(peak, running)
            await asyncio.sleep(0.02)
            running -= 1

    await asyncio.gather(*(transfer() for _ in range(DOWNLOADS_PER_ACCOUNT * 3)))
    assert peak == DOWNLOADS_PER_ACCOUNT


class BusyLocks:
    """A provider whose login lock is never free: shows the connector really uses it."""

    def __init__(self) -> None:
        self.asked: list[str] = []

    @asynccontextmanager
    async def login_lock(self, apple_id: str, timeout: float = 120.0) -> AsyncIterator[None]:
        self.asked.append(apple_id)
        raise LockTimeout("busy elsewhere")
        yield  # pragma: no cover

    @asynccontextmanager
    async def download_slot(self, apple_id: str) -> AsyncIterator[None]:
        self.asked.append(f"download:{apple_id}")
        yield


async def test_the_connector_logs_in_under_the_injected_lock() -> None:
    from cloudtap.icloud.client import connector as client

    locks = BusyLocks()
    # Nothing listens on port 9: reaching the network would be a different error.
    connector = client.ICloudConnector(
        TransportOptions(proxy_url="http://127.0.0.1:9"), locks=locks
    )
    with pytest.raises(LockTimeout):
        await connector.login(Credentials("someone@example.com", "pw"), None)
    assert locks.asked == ["someone@example.com"]


class ListStream:
    def __init__(self, chunks: list[bytes], seen: list[str]) -> None:
        self.info = FileInfo(file_id="f1", size=None, extension="bin")
        self.chunks, self.seen = chunks, seen

    async def iter_bytes(self, offset: int = 0) -> AsyncIterator[bytes]:
        for chunk in self.chunks:
            self.seen.append("chunk")
            yield chunk


async def test_a_slotted_stream_holds_its_slot_while_it_transfers() -> None:
    from cloudtap.icloud.client import connector as client

    seen: list[str] = []

    @asynccontextmanager
    async def slot() -> AsyncIterator[None]:
        seen.append("slot-in")
        yield
        seen.append("slot-out")

    stream = client.SlottedStream(ListStream([b"a", b"b"], seen), slot)
    assert stream.info.file_id == "f1"
    assert [c async for c in stream.iter_bytes()] == [b"a", b"b"]
    assert seen == ["slot-in", "chunk", "chunk", "slot-out"]
