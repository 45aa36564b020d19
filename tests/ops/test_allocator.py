"""Memory a job freed goes back to the system once a worker is idle."""

from __future__ import annotations

import threading

import psutil
from pytest import MonkeyPatch

from cloudtap.ops import allocator
from cloudtap.ops.allocator import MemoryReleaser


def _rss() -> int:
    return int(psutil.Process().memory_info().rss)


def test_freed_heap_pages_go_back_to_the_system() -> None:
    assert allocator._load_trim() is not None  # glibc: what cloudtap's images run on
    kept: list[bytes] = []

    def job() -> None:
        # 1,000-byte objects come from malloc's heap (pymalloc takes only up to 512);
        # one in 50 stays alive, scattered through it, so the heap cannot just shrink.
        blocks = [bytes(1000) + bytes([i % 256]) for i in range(150_000)]
        kept.extend(blocks[::50])

    worker = threading.Thread(target=job)  # a thread of its own: an arena of its own
    worker.start()
    worker.join()
    before = _rss()
    assert MemoryReleaser(allocator._load_trim()).release()
    freed = before - _rss()
    assert freed > 60 * 2**20, f"only {freed / 2**20:.1f} MiB given back"
    assert len(kept) == 3000


def test_releases_are_spaced_whichever_thread_asks() -> None:
    calls: list[int] = []

    def trim(pad: int) -> int:
        calls.append(pad)
        return 1

    releaser = MemoryReleaser(trim)
    assert releaser.release() is True
    assert releaser.release() is False  # within MIN_INTERVAL_SECONDS of the first
    assert calls == [0] and releaser.releases == 1


def test_arenas_are_limited_unless_the_environment_chose(monkeypatch: MonkeyPatch) -> None:
    monkeypatch.setenv("MALLOC_ARENA_MAX", "4")
    assert allocator.limit_arenas() is False  # the operator's setting stands
    monkeypatch.delenv("MALLOC_ARENA_MAX")
    assert allocator.limit_arenas() is True  # glibc took it
