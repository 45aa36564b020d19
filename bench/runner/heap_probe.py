"""Where a process's memory sits: Python's allocator, glibc's malloc, and the rest of RSS.

Answered by the bench's ``serve`` (``GET /bench/heap``, ``bench_serve.py``) so ``soak``
can tell retained Python objects (pymalloc's blocks in use grow) from allocator
fragmentation (RSS grows while the blocks in use stay flat) without a debugger.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import gc
import os
import re
import sys
import tempfile
import threading
import tracemalloc
from collections import Counter
from typing import Any

import psutil

from cloudtap.config import get_settings
from cloudtap.store.db import engine_for

MIB = 2**20
TRACE_FRAMES = 8
_PYMALLOC_LINES = {
    "arenas": r"# arenas allocated current\s*=\s*([\d,]+)",
    "blocks_in_use": r"# bytes in allocated blocks\s*=\s*([\d,]+)",
    "blocks_free": r"# bytes in available blocks\s*=\s*([\d,]+)",
    "pools_unused": r"(\d+) unused pools \*",
}
_stderr_guard = threading.Lock()


class _MallInfo2(ctypes.Structure):
    _fields_ = [
        (name, ctypes.c_size_t)
        for name in (
            "arena", "ordblks", "smblks", "hblks", "hblkhd", "usmblks", "fsmblks",
            "uordblks", "fordblks", "keepcost",
        )
    ]  # fmt: skip


def _mallinfo2() -> dict[str, float] | None:
    """glibc's totals over every arena (MiB): heap mapped, in use, free; mmapped blocks."""
    name = ctypes.util.find_library("c")
    function = getattr(ctypes.CDLL(name), "mallinfo2", None) if name else None
    if function is None:  # not glibc 2.33+
        return None
    function.restype = _MallInfo2
    info = function()
    return {
        "heap": info.arena / MIB,
        "in_use": info.uordblks / MIB,
        "free": info.fordblks / MIB,
        "mmapped": info.hblkhd / MIB,
    }


def _pymalloc() -> dict[str, float]:
    """pymalloc's arenas (1 MiB each on 3.10+) and how full they are (MiB)."""
    with _stderr_guard, tempfile.TemporaryFile() as out:
        saved = os.dup(2)  # _debugmallocstats writes to the C stderr
        try:
            sys.stderr.flush()
            os.dup2(out.fileno(), 2)
            sys._debugmallocstats()
        finally:
            os.dup2(saved, 2)
            os.close(saved)
        out.seek(0)
        text = out.read().decode(errors="replace")
    found = {
        key: int(m.group(1).replace(",", "")) if (m := re.search(pattern, text)) else 0
        for key, pattern in _PYMALLOC_LINES.items()
    }
    return {
        "arenas": float(found["arenas"]),
        "in_use": found["blocks_in_use"] / MIB,
        "free_blocks": found["blocks_free"] / MIB,
        "free_pools": found["pools_unused"] * 16384 / MIB,
    }


def cyclic_garbage(top: int = 15) -> dict[str, Any]:
    """What a full collection finds unreachable now (garbage only cycles kept alive),
    by type, with pymalloc's blocks in use before and after: how much of the heap was
    waiting for the collector rather than in use."""
    before = _pymalloc()["in_use"]
    counts = gc.get_count()
    gc.set_debug(gc.DEBUG_SAVEALL)
    try:
        gc.collect()
        types = Counter(type(o).__name__ for o in gc.garbage)
    finally:
        gc.garbage.clear()
        gc.set_debug(0)
    gc.collect()  # now frees what DEBUG_SAVEALL kept
    return {
        "pymalloc_in_use_before": before,
        "pymalloc_in_use_after": _pymalloc()["in_use"],
        "gc_counts_before": counts,
        "garbage": sum(types.values()),
        "types": types.most_common(top),
    }


def heap_report(top_types: int = 40) -> dict[str, Any]:
    gc.collect()
    objects = gc.get_objects()
    types = Counter(type(o).__name__ for o in objects)
    del objects
    report: dict[str, Any] = {
        "rss": psutil.Process().memory_info().rss / MIB,
        "objects": sum(types.values()),
        "top_types": types.most_common(top_types),
        "pymalloc": _pymalloc(),
        "malloc": _mallinfo2(),
        "threads": threading.active_count(),
        "pool": engine_for(get_settings().database_url).pool.status(),
    }
    if tracemalloc.is_tracing():
        report["traced"] = tracemalloc.get_traced_memory()[0] / MIB
    return report


class TracedGrowth:
    """What was allocated since ``mark`` (which starts tracemalloc: tracing from startup
    slows ``serve`` too much to start) and is still alive, by traceback, biggest first."""

    def __init__(self) -> None:
        self._marked: tracemalloc.Snapshot | None = None

    def mark(self) -> bool:
        gc.collect()
        if not tracemalloc.is_tracing():
            tracemalloc.start(TRACE_FRAMES)
        self._marked = tracemalloc.take_snapshot()
        return True

    def since_mark(self, top: int) -> list[dict[str, Any]]:
        if self._marked is None or not tracemalloc.is_tracing():
            return []
        gc.collect()
        skip = [tracemalloc.Filter(False, tracemalloc.__file__)]
        now = tracemalloc.take_snapshot().filter_traces(skip)
        grown = now.compare_to(self._marked.filter_traces(skip), "traceback")
        return [
            {
                "kib": round(stat.size_diff / 1024, 1),
                "blocks": stat.count_diff,
                "traceback": stat.traceback.format()[-10:],
            }
            for stat in grown[:top]
        ]


TRACED = TracedGrowth()
