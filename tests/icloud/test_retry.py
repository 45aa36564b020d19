"""Backoff with jitter for reads only: transient failures are retried, others are not."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from cloudtap.icloud import retry


@pytest.fixture(autouse=True)
def _instant_sleep(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    slept: list[float] = []

    async def fake_sleep(seconds: float) -> None:
        slept.append(seconds)

    monkeypatch.setattr(asyncio, "sleep", fake_sleep)
    return slept


async def test_transient_errors_are_retried_then_succeed(_instant_sleep: list[float]) -> None:
    calls = 0

    async def flaky() -> str:
        nonlocal calls
        calls += 1
        if calls < 3:
            raise httpx.ReadError("reset")
        return "ok"

    assert await retry.with_retries(flaky, attempts=3) == "ok"
    assert calls == 3 and len(_instant_sleep) == 2


async def test_gives_up_after_the_attempts() -> None:
    async def broken() -> str:
        raise httpx.ConnectError("refused")

    with pytest.raises(httpx.ConnectError):
        await retry.with_retries(broken, attempts=2)


async def test_other_errors_are_not_retried() -> None:
    calls = 0

    async def invalid() -> str:
        nonlocal calls
        calls += 1
        raise httpx.UnsupportedProtocol("ftp")

    with pytest.raises(httpx.UnsupportedProtocol):
        await retry.with_retries(invalid)
    assert calls == 1


def test_full_jitter_stays_under_the_cap() -> None:
    delays = [
        retry.backoff_delay(attempt, base=0.5, cap=2.0) for attempt in range(10) for _ in range(50)
    ]
    assert all(0 <= d <= 2.0 for d in delays)
    assert len(set(delays)) > 100  # jittered, not a fixed schedule
