"""Sign-in lockouts that grow when a client comes back too early (``lockout@``).

Users report lockouts growing while their client retries (15 min, then 30 min, then an
hour: the peers' throttling threads issue 19 lists), and Apple's sign-in 503 carries no
``Retry-After`` (icloudpd's ``failed_auth_503`` cassette). The sandbox plays it so: the
first sign-in is refused and starts a lockout of ``base`` seconds; every attempt before
it ends is refused and doubles it (counted from that attempt); the first attempt after
it ends goes through. The doubling rule itself is assumed (docs/apple-evidence.md).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

# Where the lockout starts, in seconds (the scenario; tests shorten it).
BASE_SECONDS = 20.0


@dataclass
class _Lockout:
    length: float
    ends: float
    lengths: list[float] = field(default_factory=list)
    over: bool = False


class SigninLockouts:
    """Per Apple ID: is this sign-in attempt refused, and how long each lockout was."""

    def __init__(
        self, base: float = BASE_SECONDS, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.base = base
        self.clock = clock  # injectable: tests move time on instead of sleeping
        self._lockouts: dict[str, _Lockout] = {}
        self._lock = threading.Lock()

    def refuses(self, apple_id: str) -> bool:
        key, now = apple_id.lower(), self.clock()
        with self._lock:
            lockout = self._lockouts.get(key)
            if lockout is None:
                self._lockouts[key] = _Lockout(self.base, now + self.base, [self.base])
                return True
            if lockout.over:
                return False
            if now < lockout.ends:  # came back early: Apple makes it longer
                lockout.length *= 2
                lockout.ends = now + lockout.length
                lockout.lengths.append(lockout.length)
                return True
            lockout.over = True
            return False

    def lengths(self, apple_id: str) -> list[float]:
        """Every lockout length this account was given, in order (one: never extended)."""
        with self._lock:
            found = self._lockouts.get(apple_id.lower())
            return list(found.lengths) if found else []

    def ends_in(self, apple_id: str) -> float:
        """Seconds until the current lockout ends (0 when none is running)."""
        with self._lock:
            found = self._lockouts.get(apple_id.lower())
            if found is None or found.over:
                return 0.0
            return max(0.0, found.ends - self.clock())
