"""Per-key rate limits: a token bucket per API key, answered 429 with ``Retry-After``.

Each key may make ``CLOUDTAP_RATE_LIMIT_PER_SECOND`` requests a second on average, in
bursts of up to ``CLOUDTAP_RATE_LIMIT_BURST``; ``0`` turns the limit off. The bucket
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


class Buckets(Protocol):
    def take(self, name: str) -> float:
        """Take one token from ``name``'s bucket: 0 if allowed, else seconds to wait."""


class MemoryBuckets:
    def __init__(self, limit: RateLimit, clock: Any = time.monotonic) -> None:
        self.limit = limit
        self._clock = clock
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
            if len(self._buckets) > 100_000:  # idle buckets are full again: forget them
                full_after = burst / rate
                self._buckets = {k: v for k, v in self._buckets.items() if now - v[1] < full_after}
            return wait


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


def buckets_for(queue_url: str, limit: RateLimit) -> Buckets:
    from cloudtap.jobs.queue import is_redis, split_queue_name

    if is_redis(queue_url):
        url, name = split_queue_name(queue_url)
        return RedisBuckets(limit, url, name)
    return MemoryBuckets(limit)


class RateLimitMiddleware:
    """429 ``rate-limited`` once a key's bucket is empty; requests without a token pass
    (they are refused 401 further in, and the dashboard has its own sign-in)."""

    def __init__(self, app: ASGIApp, buckets: Buckets) -> None:
        self.app = app
        self.buckets = buckets

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        token = scope_token(scope) if scope["type"] == "http" else None
        if token is not None:
            try:
                wait = self.buckets.take(hash_token(token))
            except Exception as exc:  # Redis away: serve (fail open) rather than 500
                log.warning("rate limit unavailable: %s", type(exc).__name__)
                wait = 0.0
            if wait > 0:
                retry_after = max(1, math.ceil(wait))
                response = error_response(
                    429,
                    "rate-limited",
                    "Too many requests for this key; retry after the Retry-After delay.",
                    {"retry_after": retry_after},
                    headers={"Retry-After": str(retry_after)},
                )
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)
