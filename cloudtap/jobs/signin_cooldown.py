"""Never retrying a refused sign-in into a longer lockout.

Apple answers a sign-in it refuses with a bare 503 and no ``Retry-After`` (icloudpd's
``failed_auth_503`` cassette), and users report the lockout growing while their client
keeps coming back (15 min, 30 min, an hour: the peers' throttling threads of issue 19).
The same 503 is also reported while new iCloud terms wait for the owner (docker-icloudpd
#860); nothing on the wire tells the two apart (docs/apple-evidence.md, "Sign-in 503").

So after a refused sign-in, no login of that Apple ID goes to Apple until a cool-down
ends: ``Settings.signin_cooldown_seconds``, doubled for every refusal in the last day
(a refusal right after a cool-down means ours was shorter than Apple's lockout), at least
any ``Retry-After``. Logins asked for meanwhile fail at once with ``rate-limited`` and
when to retry, without a request to Apple. The cool-down lives in the deployment's lease
store (Redis, or the SQLite lease file), so every worker process honours it.
"""

from __future__ import annotations

import math
import secrets
from datetime import timedelta
from typing import Any

from cloudtap.jobs.leases import LeaseStore
from cloudtap.jobs.locks import lease_name
from cloudtap.store.ids import isoformat, utcnow

# How long a refusal counts towards doubling the next cool-down, and the longest wait.
STRIKE_MEMORY_SECONDS = 24 * 3600.0
LONGEST_SECONDS = 24 * 3600.0
_ANY_NUMBER = 1_000_000
REASON = "signin-refused"


def retry_info(seconds: float) -> dict[str, Any]:
    """``error_info`` of a refused login: when to retry, and why it may have been refused."""
    wait = max(1, math.ceil(seconds))
    return {
        "retry_after_seconds": wait,
        "retry_at": isoformat(utcnow() + timedelta(seconds=wait)),
        "reason": REASON,
        "possible_causes": ["throttled", "terms-pending"],
    }


class SigninCooldown:
    def __init__(self, store: LeaseStore, base_seconds: float) -> None:
        self._store = store
        self._base = base_seconds

    def remaining(self, apple_id: str) -> float:
        """Seconds before a login of ``apple_id`` may go to Apple again (0: now)."""
        return self._store.remaining(lease_name("signin-cooldown", apple_id))

    def refused(self, apple_id: str, retry_after: float | None = None) -> float:
        """Record Apple's refusal; the seconds no login of ``apple_id`` may ask Apple."""
        strikes = lease_name("signin-refusals", apple_id)
        wait = min(LONGEST_SECONDS, self._base * 2 ** self._store.holders(strikes))
        wait = max(wait, retry_after or 0.0)
        self._store.try_acquire(strikes, secrets.token_hex(8), _ANY_NUMBER, STRIKE_MEMORY_SECONDS)
        if wait > 0:
            name = lease_name("signin-cooldown", apple_id)
            self._store.try_acquire(name, secrets.token_hex(8), _ANY_NUMBER, wait)
        return wait
