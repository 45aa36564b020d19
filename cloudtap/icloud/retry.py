"""Retries with exponential backoff and full jitter, for the calls Apple lets us repeat.

Only idempotent reads (CloudKit queries, downloads) on transient failures are retried:
dropped connections, timeouts and plain 5xx gateway errors. Authentication failures and
throttling (503, 429) are never retried here: hammering Apple then gets accounts locked.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Awaitable, Callable
from typing import TypeVar

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
