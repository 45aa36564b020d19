"""Retries with exponential backoff and full jitter, for the calls Apple lets us repeat.

Only idempotent reads (CloudKit queries, downloads) on transient failures are retried
in place: dropped connections, timeouts and plain 5xx gateway errors. Authentication
failures are never retried. Throttling (503, 429) is not retried in place either, where
it would hold a worker and hammer Apple: the caller (a job) waits it out as
:class:`ThrottleBudget` says, at least as long as Apple's ``Retry-After``, and gives up
once the budget is spent.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

import httpx

T = TypeVar("T")

RETRYABLE_STATUS = frozenset({500, 502, 504})
TRANSIENT_ERRORS: tuple[type[httpx.HTTPError], ...] = (
    httpx.ConnectError,
    httpx.ReadError,
    httpx.WriteError,
    httpx.RemoteProtocolError,
    httpx.TimeoutException,
)


class RetryableStatus(Exception):
    """Raised inside a retried call to ask for another attempt."""

    def __init__(self, response: httpx.Response) -> None:
        super().__init__(f"HTTP {response.status_code}")
        self.response = response


def backoff_delay(attempt: int, base: float = 0.5, cap: float = 8.0) -> float:
    """Full jitter: uniform in [0, min(cap, base * 2**attempt)]."""
    return random.uniform(0, min(cap, base * (2**attempt)))


async def with_retries(
    call: Callable[[], Awaitable[T]],
    *,
    attempts: int = 3,
    base_delay: float = 0.5,
) -> T:
    for attempt in range(attempts):
        try:
            return await call()
        except (httpx.TransportError, RetryableStatus) as exc:
            if isinstance(exc, httpx.TransportError) and not isinstance(exc, TRANSIENT_ERRORS):
                raise
            if attempt == attempts - 1:
                raise
            await asyncio.sleep(backoff_delay(attempt, base_delay))
    raise AssertionError("unreachable")


# Seconds added at random to a throttled wait, so tasks told the same Retry-After do not
# all come back in the same second.
THROTTLE_JITTER = 2.0


def retry_after_of(info: Mapping[str, Any] | None) -> float | None:
    """Apple's ``Retry-After`` as a :class:`RateLimited` error carries it, if it does."""
    value = (info or {}).get("retry_after_seconds")
    return float(value) if isinstance(value, int | float) and value >= 0 else None


@dataclass(frozen=True)
class ThrottleBudget:
    """How long in all, and how many times, one piece of work waits out throttling."""

    total_seconds: float
    attempts: int = 10
    base: float = 2.0
    cap: float = 300.0

    def next_wait(self, attempt: int, waited: float, retry_after: float | None) -> float | None:
        """Seconds to wait before retry ``attempt + 1``, or None once the budget is spent.

        Apple's Retry-After when it gives one, else exponential backoff (half fixed, half
        jittered, so waits grow even when the jitter is unlucky).
        """
        if attempt >= self.attempts:
            return None
        if retry_after is not None:
            wait = retry_after + random.uniform(0, THROTTLE_JITTER)
        else:
            step = min(self.cap, self.base * (2**attempt))
            wait = max(1.0, step / 2 + random.uniform(0, step / 2))
        if waited + wait > self.total_seconds:
            return None
        return wait
