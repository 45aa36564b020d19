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


def test_throttled_waits_honour_retry_after() -> None:
    budget = retry.ThrottleBudget(total_seconds=600, attempts=8)
    waits = [budget.next_wait(attempt=0, waited=0, retry_after=30) for _ in range(200)]
    assert all(w is not None and 30 <= w <= 30 + retry.THROTTLE_JITTER for w in waits)
    assert len(set(waits)) > 100  # spread, so waiting tasks do not all return at once


def test_throttled_waits_without_retry_after_back_off() -> None:
    budget = retry.ThrottleBudget(total_seconds=10_000, attempts=10)
    firsts = [budget.next_wait(0, 0, None) for _ in range(100)]
    laters = [budget.next_wait(5, 0, None) for _ in range(100)]
    assert all(w is not None and w >= 1 for w in firsts + laters)
    assert min(w for w in laters if w is not None) > max(w for w in firsts if w is not None)


def test_throttle_budget_runs_out() -> None:
    budget = retry.ThrottleBudget(total_seconds=100, attempts=3)
    assert budget.next_wait(attempt=3, waited=0, retry_after=1) is None  # attempts spent
    assert budget.next_wait(attempt=1, waited=90, retry_after=20) is None  # time spent
    assert budget.next_wait(attempt=1, waited=50, retry_after=20) is not None
    assert retry.ThrottleBudget(total_seconds=0, attempts=3).next_wait(0, 0, 1) is None


def test_retry_after_is_read_from_the_error_info() -> None:
    assert retry.retry_after_of({"retry_after_seconds": 12}) == 12
    assert retry.retry_after_of(None) is None
    assert retry.retry_after_of({"retry_after_seconds": "soon"}) is None
