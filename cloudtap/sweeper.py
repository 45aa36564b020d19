"""A background thread that sweeps at a fixed interval until stopped."""

from __future__ import annotations

import logging
import threading
from typing import Self

from cloudtap.config import Settings


class Sweeper:
    """A daemon thread named ``thread_name`` calling :meth:`sweep` every :meth:`interval`
    seconds (first at start when ``sweep_at_start``); a failed sweep is logged on ``logger``
    as ``"<what> sweep failed"`` and the next one tries again."""

    thread_name: str
    what: str
    logger: logging.Logger
    sweep_at_start = False

    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=self.thread_name, daemon=True)

    def start(self) -> Self:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=10)

    def interval(self) -> float:
        raise NotImplementedError

    def sweep(self) -> None:
        raise NotImplementedError

    def _sweep_once(self) -> None:
        try:
            self.sweep()
        except Exception as exc:  # the next sweep tries again
            self.logger.warning("%s sweep failed: %s", self.what, type(exc).__name__)

    def _run(self) -> None:
        if self.sweep_at_start:
            self._sweep_once()
        while not self._stop.wait(self.interval()):
            self._sweep_once()
