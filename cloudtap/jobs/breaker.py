"""A per-account circuit breaker for Apple's throttling.

When Apple throttles one task of an account, every other task of that account would
otherwise keep knocking (and each be throttled in turn). Tripping the breaker for the
wait Apple asked for makes the account's other tasks wait too, without a request to
Apple; they go back to ``pending`` through the same throttled-retry path and budget
(``jobs.throttling``). The breaker lives in the deployment's lease store (Redis, or the
SQLite lease file beside the queue), so it holds across worker processes.
"""

from __future__ import annotations

import secrets

from cloudtap.icloud.errors import RateLimited
from cloudtap.jobs.leases import LeaseStore
from cloudtap.jobs.locks import lease_name

# Each trip is one lease of its own length; the breaker is open while any has not lapsed.
_ANY_NUMBER = 1_000_000


class AccountCoolingDown(RateLimited):
    """The breaker is open: throttled without asking Apple (and without tripping again)."""


class AccountBreaker:
    def __init__(self, store: LeaseStore) -> None:
        self._store = store

    def trip(self, apple_id: str, seconds: float) -> None:
        """Keep the account's other tasks away from Apple for ``seconds``."""
        if seconds > 0:
            name = lease_name("breaker", apple_id)
            self._store.try_acquire(name, secrets.token_hex(8), _ANY_NUMBER, seconds)

    def is_open(self, apple_id: str) -> bool:
        """Whether a trip of this account has not lapsed yet (reads only: many workers
        ask at once, and none may see another's question as a trip)."""
        return self._store.holders(lease_name("breaker", apple_id)) > 0
