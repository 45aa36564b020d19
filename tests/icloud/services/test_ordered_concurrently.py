"""Listing pages: a fixed number in flight, slots refilled as fetches finish, yielded in order."""

from __future__ import annotations

import asyncio

import pytest

from cloudtap.icloud.services.photos import ordered_concurrently


class Fetches:
    """Fetches that finish only when the test releases them; records what ran when."""

    def __init__(self) -> None:
        self.gates: dict[int, asyncio.Event] = {}
        self.started: list[int] = []
        self.in_flight = 0
        self.most_in_flight = 0
        self.cancelled: list[int] = []

    async def fetch(self, key: int) -> int:
        self.started.append(key)
        self.in_flight += 1
        self.most_in_flight = max(self.most_in_flight, self.in_flight)
        try:
            await self.gates.setdefault(key, asyncio.Event()).wait()
        except asyncio.CancelledError:
            self.cancelled.append(key)
            raise
        finally:
            self.in_flight -= 1
        return key * 10

    def release(self, *keys: int) -> None:
        for key in keys:
            self.gates.setdefault(key, asyncio.Event()).set()


async def _settle() -> None:
    for _ in range(5):
        await asyncio.sleep(0)


async def test_a_finished_fetch_frees_its_slot_before_its_result_is_taken() -> None:
    fetches = Fetches()
    pages = ordered_concurrently(iter(range(6)), fetches.fetch, 2, ahead=4)
    first = asyncio.ensure_future(anext(pages))
    await _settle()
    assert fetches.started == [0, 1]
    fetches.release(1)  # page 1 arrives while page 0 is still on its way
    await _settle()
    assert fetches.started == [0, 1, 2]  # its slot went to page 2 at once
    fetches.release(2)
    await _settle()
    assert fetches.started == [0, 1, 2, 3]
    fetches.release(3)
    await _settle()
    assert fetches.started == [0, 1, 2, 3]  # four waiting to be taken: no fifth
    assert not first.done()
    fetches.release(0, 4, 5)
    assert await first == 0
    assert [page async for page in pages] == [10, 20, 30, 40, 50]
    assert fetches.most_in_flight == 2


async def test_results_come_in_key_order_whatever_order_they_finish_in() -> None:
    fetches = Fetches()
    fetches.release(*range(1, 9))  # every page but the first is ready at once
    pages = ordered_concurrently(iter(range(9)), fetches.fetch, 3)
    first = asyncio.ensure_future(anext(pages))
    await _settle()
    fetches.release(0)
    assert [await first] + [page async for page in pages] == [k * 10 for k in range(9)]
    assert fetches.most_in_flight <= 3


async def test_closing_early_cancels_the_rest_and_starts_no_more() -> None:
    fetches = Fetches()
    fetches.release(0)
    pages = ordered_concurrently(iter(range(100)), fetches.fetch, 3)
    assert await anext(pages) == 0
    await _settle()
    assert fetches.started == [0, 1, 2, 3]  # page 0's slot went to page 3
    await pages.aclose()
    fetches.release(*range(100))
    await _settle()
    assert fetches.started == [0, 1, 2, 3]
    assert sorted(fetches.cancelled) == [1, 2, 3]


async def test_a_failed_fetch_starts_no_more() -> None:
    fetches = Fetches()

    async def fetch(key: int) -> int:
        if key == 1:
            fetches.started.append(key)
            raise RuntimeError("throttled")
        return await fetches.fetch(key)

    pages = ordered_concurrently(iter(range(100)), fetch, 3)
    first = asyncio.ensure_future(anext(pages))
    await _settle()
    fetches.release(*range(100))
    assert await first == 0
    with pytest.raises(RuntimeError, match="throttled"):
        await anext(pages)
    assert fetches.started == [0, 1, 2]  # page 1's failure freed a slot nobody took
