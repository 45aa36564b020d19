"""``heap_probe``: where a process's memory sits, and what was kept since a mark."""

from __future__ import annotations

import tracemalloc

from bench.runner.heap_probe import TracedGrowth, cyclic_garbage, heap_report


def test_the_report_splits_python_blocks_from_mallocs_heap() -> None:
    report = heap_report()
    python = report["pymalloc"]
    assert python["arenas"] >= 1 and 0 < python["in_use"] <= python["arenas"]  # MiB
    assert report["malloc"] is not None and report["malloc"]["in_use"] > 0  # glibc here
    assert report["rss"] > python["in_use"]


def test_what_is_kept_after_the_mark_is_named_by_its_line() -> None:
    growth = TracedGrowth()
    tracing_before = tracemalloc.is_tracing()
    try:
        assert growth.mark()
        kept = [bytearray(4096) for _ in range(64)]  # 256 KiB still alive at the check
        grown = growth.since_mark(top=5)
    finally:
        if not tracing_before:
            tracemalloc.stop()
    assert kept
    biggest = grown[0]
    assert biggest["kib"] >= 256 and biggest["blocks"] >= 64
    assert any("test_heap_probe.py" in line for line in biggest["traceback"])


def test_garbage_only_a_cycle_kept_is_counted_and_freed() -> None:
    class Reply:
        pass

    reply, stream = Reply(), Reply()
    reply.stream, stream.reply = stream, reply  # type: ignore[attr-defined]  # as httpx's
    reply.parsed = [{"n": str(n)} for n in range(50_000)]  # type: ignore[attr-defined]
    del reply, stream
    found = cyclic_garbage()
    assert found["garbage"] >= 2 and ("Reply", 2) in found["types"]
    freed = found["pymalloc_in_use_before"] - found["pymalloc_in_use_after"]
    assert freed > 5  # MiB: the page the cycle held went with it
