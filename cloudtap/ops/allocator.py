"""Giving the memory a finished job freed back to the system.

A listing parses hundreds of thousands of short-lived objects on several threads (the
job's event loop, its ``to_thread`` helpers, the API's thread pool), and glibc's malloc
serves each thread from an arena of its own. What a poll frees stays mapped in those
arenas, scattered between the few blocks still in use, so without help ``serve``'s
resident size only grows from poll to poll (measured: +58% over 30 listings of 5,000
assets, with no Python object left behind: ``bench/soak_tracemalloc.py``).
``malloc_trim(0)`` hands every arena's free pages back (glibc 2.8+ walks them all);
a full garbage collection first frees what cycles still hold. ``serve`` and ``worker``
also keep malloc to ``ARENAS`` arenas (as ``MALLOC_ARENA_MAX`` would, unless that is
set): Python threads take turns under the GIL, so more arenas bring little speed and
scatter the same memory over more places. They also fix malloc's mmap threshold at
``MMAP_THRESHOLD_BYTES`` (unless ``MALLOC_MMAP_THRESHOLD_`` is set): glibc otherwise raises
it to the size of each large block freed (up to 32 MiB), after which reply bodies, pages
and encoded result lists of a few hundred KiB are carved from the heap, where what
outlives them pins the pages around them; mapped on their own, they go back whole.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import gc
import logging
import os
import threading
import time
from collections.abc import Callable

log = logging.getLogger(__name__)

# At most one release per this many seconds, whichever thread asks.
MIN_INTERVAL_SECONDS = 1.0
ARENAS = 2
_M_ARENA_MAX = -8  # mallopt's parameter numbers in glibc's malloc.h
_M_MMAP_THRESHOLD = -3
# Blocks this large or larger get their own mapping, returned to the system when freed:
# glibc's initial threshold (128 KiB) doubled, so a listing page's parsed pieces and
# short strings stay on the heap, while whole bodies and encoded lists do not.
MMAP_THRESHOLD_BYTES = 256 * 1024


def _libc() -> ctypes.CDLL | None:
    name = ctypes.util.find_library("c")
    if name is None:
        return None
    try:
        return ctypes.CDLL(name)
    except OSError:
        return None


def limit_arenas(arenas: int = ARENAS) -> bool:
    """Call before threads start. False where there is no glibc or the environment
    already chose (``MALLOC_ARENA_MAX``). Fixes the mmap threshold too."""
    fix_mmap_threshold()
    return _mallopt(_M_ARENA_MAX, arenas, "MALLOC_ARENA_MAX")


def fix_mmap_threshold(threshold: int = MMAP_THRESHOLD_BYTES) -> bool:
    """False where there is no glibc or the environment already chose."""
    return _mallopt(_M_MMAP_THRESHOLD, threshold, "MALLOC_MMAP_THRESHOLD_")


def _mallopt(parameter: int, value: int, variable: str) -> bool:
    mallopt = getattr(_libc(), "mallopt", None)
    if mallopt is None or os.environ.get(variable):
        return False
    return bool(mallopt(parameter, value))


def _load_trim() -> Callable[[int], int] | None:
    """glibc's ``malloc_trim``, or None (musl, macOS: nothing to call)."""
    trim = getattr(_libc(), "malloc_trim", None)
    if trim is None:
        return None
    trim.argtypes = [ctypes.c_size_t]
    trim.restype = ctypes.c_int
    return trim


class MemoryReleaser:
    def __init__(self, trim: Callable[[int], int] | None) -> None:
        self._trim = trim
        self._guard = threading.Lock()
        self._last = float("-inf")
        self.releases = 0

    def release(self) -> bool:
        """Collect garbage and trim the heap, unless another thread just did (False)."""
        with self._guard:
            if time.monotonic() - self._last < MIN_INTERVAL_SECONDS:
                return False
            gc.collect()
            if self._trim is not None:
                self._trim(0)
            self._last = time.monotonic()  # spaced from its end: however long it took
            self.releases += 1
            return True


RELEASER = MemoryReleaser(_load_trim())


def release_free_memory() -> bool:
    return RELEASER.release()
