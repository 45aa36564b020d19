"""An idle job thread gives freed memory back only when no files batch runs on another
thread: a collection and a trim hold the GIL and malloc's locks, which another tenant's
short job arriving then would wait out."""

from __future__ import annotations

import pytest

from cloudtap.jobs import consumer
from cloudtap.jobs.lanes import LANES


class _Idle(consumer.WakingWorker):
    """Only what ``sleep`` reads: a worker that has run jobs and has no wakeup to wait on."""

    def __init__(self) -> None:  # no huey: sleep's own bookkeeping is what is tested
        self.task_count = 3
        self.delay = self.default_delay = self.max_delay = 0.0
        self.backoff = 1.0

    @property
    def huey(self) -> object:
        return object()


@pytest.fixture
def releases(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    calls: list[int] = []

    def release() -> bool:
        calls.append(1)
        return True

    monkeypatch.setattr(consumer, "release_free_memory", release)
    monkeypatch.setattr(consumer, "wakeup_of", lambda _huey: None)
    monkeypatch.setattr(consumer.Worker, "sleep", lambda self: None)
    return calls


def test_memory_is_not_released_while_a_files_batch_runs(releases: list[int]) -> None:
    LANES.set_threads(2)
    assert LANES.try_reserve_long()
    try:
        _Idle().sleep()
    finally:
        LANES.release_long()
    assert releases == []


def test_memory_is_released_once_no_long_job_runs(releases: list[int]) -> None:
    LANES.set_threads(2)
    worker = _Idle()
    worker.sleep()
    worker.sleep()  # no job ran since: nothing more to give back
    assert releases == [1]
