"""The short-job lane: long jobs never take a process's last job thread."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from cloudtap.jobs.lanes import Lanes


def test_long_jobs_leave_one_thread_free() -> None:
    lanes = Lanes(threads=3)
    assert [lanes.try_reserve_long() for _ in range(3)] == [True, True, False]
    lanes.release_long()
    assert lanes.try_reserve_long() is True


def test_one_thread_has_no_lane_to_keep() -> None:
    lanes = Lanes(threads=1)
    assert lanes.try_reserve_long() is True
    assert lanes.try_reserve_long() is False  # one long job at a time, on its one thread


def test_racing_threads_never_exceed_the_long_limit() -> None:
    lanes = Lanes(threads=5)
    with ThreadPoolExecutor(16) as pool:
        granted = list(pool.map(lambda _: lanes.try_reserve_long(), range(200)))
    assert granted.count(True) == 4


def test_the_consumer_resizes_the_lanes() -> None:
    lanes = Lanes()
    lanes.set_threads(2)
    assert [lanes.try_reserve_long() for _ in range(2)] == [True, False]


def test_a_long_job_running_is_known_until_released() -> None:
    lanes = Lanes(threads=2)
    assert not lanes.long_running()
    assert lanes.try_reserve_long()
    assert lanes.long_running()
    lanes.release_long()
    assert not lanes.long_running()
