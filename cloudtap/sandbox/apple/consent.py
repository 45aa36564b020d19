"""The trusted devices of ADP accounts with web access on: who asked, who approved.

With Advanced Data Protection on and "Access iCloud Data on the Web" on, a browser asks
``enableDeviceConsentForPCS``; the owner then approves on a trusted device, and only
then does ``requestPCS`` hand out the PCS cookies (foxt/icloud.js issue #4; pyicloud
2026.10.1 ``_request_pcs_for_service``). The sandbox's device approves by itself
``approval_delay`` seconds after the request, or at once through :meth:`approve`
(``cloudtap sandbox approve``). ``clock`` is injectable so tests never wait on it.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

# Seconds after the consent request at which the sandbox's trusted device approves.
APPROVAL_DELAY = 5.0


@dataclass
class ConsentBook:
    approval_delay: float = APPROVAL_DELAY
    clock: Callable[[], float] = time.monotonic
    _requested: dict[str, float] = field(default_factory=dict)
    _approved: set[str] = field(default_factory=set)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def request(self, apple_id: str) -> None:
        """A browser asked the owner's devices for consent (the first ask starts the clock)."""
        with self._lock:
            self._requested.setdefault(apple_id.lower(), self.clock())

    def requested(self, apple_id: str) -> bool:
        with self._lock:
            return apple_id.lower() in self._requested

    def approve(self, apple_id: str) -> None:
        """The owner approved on a trusted device (``cloudtap sandbox approve``)."""
        with self._lock:
            self._approved.add(apple_id.lower())

    def consented(self, apple_id: str) -> bool:
        key = apple_id.lower()
        with self._lock:
            if key in self._approved:
                return True
            asked = self._requested.get(key)
        return asked is not None and self.clock() - asked >= self.approval_delay
