"""Memory a job freed goes back to the system once a worker is idle."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from pathlib import Path

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


# Frees an 8 MiB block (glibc then raises its mmap threshold to 8 MiB unless it was
# fixed), then allocates 1 MiB and says whether that one got a mapping of its own.
_MAPPED_AFTER_A_LARGE_FREE = """
import ctypes, sys
from cloudtap.ops import allocator
if sys.argv[1] == "fixed":
    assert allocator.fix_mmap_threshold()
FIELDS = "arena ordblks smblks hblks hblkhd usmblks fsmblks uordblks fordblks keepcost"
class Info(ctypes.Structure):
    _fields_ = [(n, ctypes.c_size_t) for n in FIELDS.split()]
mallinfo2 = ctypes.CDLL(None).mallinfo2
mallinfo2.restype = Info
large = bytes(8 * 2**20)
del large
before = mallinfo2().hblkhd
body = bytes(2**20)
print(mallinfo2().hblkhd - before >= 2**20)
"""


def _mapped_after_a_large_free(mode: str) -> bool:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MALLOC_")}
    env["PYTHONPATH"] = str(Path(__file__).resolve().parents[2])
    run = subprocess.run(
        [sys.executable, "-c", _MAPPED_AFTER_A_LARGE_FREE, mode],
        env=env, capture_output=True, text=True, check=True, timeout=60,
    )  # fmt: skip
    return run.stdout.strip() == "True"


def test_large_blocks_keep_their_own_mapping_after_a_larger_one_was_freed() -> None:
    # A fresh process each: the threshold is process-wide and glibc's adjustment sticks.
    assert _mapped_after_a_large_free("default") is False  # why: glibc raised it to 8 MiB
    assert _mapped_after_a_large_free("fixed") is True


def test_the_environment_chooses_the_mmap_threshold_when_set(monkeypatch: MonkeyPatch) -> None:
    monkeypatch.setenv("MALLOC_MMAP_THRESHOLD_", "131072")
    assert allocator.fix_mmap_threshold() is False
