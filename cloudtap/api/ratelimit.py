"""Rate limits: a token bucket per API key, and one per client address for requests
without a token, answered 429 with ``Retry-After``.

Each key may make ``CLOUDTAP_RATE_LIMIT_PER_SECOND`` requests a second on average, in
bursts of up to ``CLOUDTAP_RATE_LIMIT_BURST``; ``0`` turns the limit off. Requests
without a token (signed download links, the dashboard, health checks) are limited per
client address by ``CLOUDTAP_ANONYMOUS_RATE_LIMIT_PER_SECOND`` / ``_BURST``. The bucket
lives in this process's memory on the embedded default, and in Redis (one atomic Lua
script on the server's clock) when ``CLOUDTAP_QUEUE_URL`` is Redis, so every API replica
shares it. A key is known by its token's hash: no database lookup per request, and an
invalid token is limited like any other.
"""

from __future__ import annotations

import logging
import math
import os
import threading
import time
from dataclasses import dataclass
from typing import Any, Protocol

from starlette.types import ASGIApp, Receive, Scope, Send

from cloudtap.api.errors import error_response
from cloudtap.api.scope_token import scope_token
from cloudtap.crypto.tokens import hash_token
from cloudtap.extras import require

log = logging.getLogger(__name__)

DEFAULT_PER_SECOND = 100.0
DEFAULT_BURST = 200
# A dashboard page with its thumbnails is a burst of a few dozen requests.
DEFAULT_ANONYMOUS_PER_SECOND = 50.0
DEFAULT_ANONYMOUS_BURST = 200
# Buckets one process keeps at most: anyone can invent token hashes and (behind a
# trusting proxy) addresses, so the table is bounded, not only pruned.
MAX_BUCKETS = 10_000


@dataclass(frozen=True)
class RateLimit:
    per_second: float
    burst: int

    @property
    def enabled(self) -> bool:
        return self.per_second > 0 and self.burst > 0

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None) -> RateLimit:
        env = os.environ if environ is None else environ
        return cls(
            per_second=float(env.get("CLOUDTAP_RATE_LIMIT_PER_SECOND", DEFAULT_PER_SECOND)),
            burst=int(env.get("CLOUDTAP_RATE_LIMIT_BURST", DEFAULT_BURST)),
        )

    @classmethod
    def anonymous_from_env(cls, environ: dict[str, str] | None = None) -> RateLimit:
        env = os.environ if environ is None else environ
        prefix = "CLOUDTAP_ANONYMOUS_RATE_LIMIT"
        return cls(
            per_second=float(env.get(f"{prefix}_PER_SECOND", DEFAULT_ANONYMOUS_PER_SECOND)),
            burst=int(env.get(f"{prefix}_BURST", DEFAULT_ANONYMOUS_BURST)),
        )


class Buckets(Protocol):
    def take(self, name: str) -> float:
        """Take one token from ``name``'s bucket: 0 if allowed, else seconds to wait."""


class MemoryBuckets:
    def __init__(
        self, limit: RateLimit, clock: Any = time.monotonic, max_buckets: int = MAX_BUCKETS
    ) -> None:
        self.limit = limit
        self._clock = clock
        self._max_buckets = max_buckets
        self._lock = threading.Lock()
        self._buckets: dict[str, tuple[float, float]] = {}

    def take(self, name: str) -> float:
        rate, burst = self.limit.per_second, float(self.limit.burst)
        with self._lock:
            now = self._clock()
            tokens, then = self._buckets.get(name, (burst, now))
            tokens = min(burst, tokens + (now - then) * rate)
            if tokens >= 1:
                self._buckets[name] = (tokens - 1, now)
                wait = 0.0
            else:
                self._buckets[name] = (tokens, now)
                wait = (1 - tokens) / rate
            if len(self._buckets) > self._max_buckets:
                self._prune(now, burst / rate)
            return wait

    def _prune(self, now: float, full_after: float) -> None:
        # Idle buckets are full again: forgetting them changes nothing.
        kept = {k: v for k, v in self._buckets.items() if now - v[1] < full_after}
        if len(kept) > self._max_buckets // 2:
            # Still too many busy names (invented ones): keep the most recently used half.
            recent = sorted(kept.items(), key=lambda item: item[1][1])[-self._max_buckets // 2 :]
            kept = dict(recent)
        self._buckets = kept


# KEYS[1] bucket; ARGV rate/s, burst. Returns the wait in ms (0: allowed).
_TAKE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local rate, burst = tonumber(ARGV[1]), tonumber(ARGV[2])
local b = redis.call('HMGET', KEYS[1], 'tokens', 'ts')
local tokens = tonumber(b[1]) or burst
local ts = tonumber(b[2]) or now
tokens = math.min(burst, tokens + math.max(0, now - ts) * rate)
local wait = 0
if tokens >= 1 then tokens = tokens - 1 else wait = math.ceil((1 - tokens) / rate * 1000) end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'ts', tostring(now))
redis.call('PEXPIRE', KEYS[1], math.ceil(burst / rate * 1000) + 1000)
return wait
"""


class RedisBuckets:
    def __init__(self, limit: RateLimit, url: str, prefix: str) -> None:
        redis = require("redis")
        self.limit = limit
        self.prefix = prefix
        self._client = redis.Redis.from_url(url)
        self._take = self._client.register_script(_TAKE)

    def take(self, name: str) -> float:
        waited = self._take(
            keys=[f"{self.prefix}:ratelimit:{name}"],
            args=[self.limit.per_second, self.limit.burst],
        )
        return int(waited) / 1000


def buckets_for(queue_url: str, limit: RateLimit, kind: str = "key") -> Buckets:
    from cloudtap.jobs.queue import is_redis, split_queue_name

    if is_redis(queue_url):
        url, name = split_queue_name(queue_url)
        return RedisBuckets(limit, url, name if kind == "key" else f"{name}:{kind}")
    return MemoryBuckets(limit)


def _client_address(scope: Scope) -> str:
    client = scope.get("client")
    return str(client[0]) if client else "unknown"


class RateLimitMiddleware:
    """429 ``rate-limited`` once a key's bucket is empty. Requests without a token take
    from their client address's bucket in ``anonymous`` (None: not limited)."""

    def __init__(
        self, app: ASGIApp, buckets: Buckets | None, anonymous: Buckets | None = None
    ) -> None:
        self.app = app
        self.buckets = buckets
        self.anonymous = anonymous

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        token = scope_token(scope)
        if token is not None:
            buckets, name, whose = self.buckets, hash_token(token), "this key"
        else:
            buckets, name, whose = self.anonymous, _client_address(scope), "this address"
        wait = _wait(buckets, name)
        if wait > 0:
            retry_after = max(1, math.ceil(wait))
            response = error_response(
                429,
                "rate-limited",
                f"Too many requests for {whose}; retry after the Retry-After delay.",
                {"retry_after": retry_after},
                headers={"Retry-After": str(retry_after)},
            )
            await response(scope, receive, send)
            return
        await self.app(scope, receive, send)


def _wait(buckets: Buckets | None, name: str) -> float:
    if buckets is None:
        return 0.0
    try:
        return buckets.take(name)
    except Exception as exc:  # Redis away: serve (fail open) rather than 500
        log.warning("rate limit unavailable: %s", type(exc).__name__)
        return 0.0
