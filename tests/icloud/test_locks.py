"""Two logins of one Apple ID never overlap; different Apple IDs do not wait."""

from __future__ import annotations

import asyncio

import pytest

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
