"""An idle worker of ``serve`` takes a job enqueued in its process at once, not after
its polling delay (huey's workers poll the queue, backing off to half a second)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from cloudtap.config import get_settings
from cloudtap.jobs.consumer import WakingWorker
from cloudtap.jobs.queue import Wakeup, forget_queues, queue_for, wakeup_of

HOUR = 3600.0


@pytest.fixture
def queue(tmp_path: Path) -> Iterator[object]:
    settings = replace(get_settings(), queue_url=f"sqlite:///{tmp_path / 'queue.db'}")
    yield queue_for(settings)
    forget_queues()


def test_a_sleeping_worker_wakes_when_a_job_is_enqueued(
    queue: object, monkeypatch: pytest.MonkeyPatch
) -> None:
    from huey import Huey

    assert isinstance(queue, Huey)
    ran: list[int] = []

    @queue.task(name="wakeup_probe")
    def probe(n: int) -> None:
        ran.append(n)

    wakeup = wakeup_of(queue)
    assert isinstance(wakeup, Wakeup)
    sleeping = threading.Event()
    original = wakeup.wait

    def noted(seen: int, timeout: float) -> bool:
        sleeping.set()
        return original(seen, timeout)

    monkeypatch.setattr(wakeup, "wait", noted)
    # An hour's delay: only the wake-up can end this worker's sleep within the test.
    worker = WakingWorker(queue, threading.Event(), HOUR, HOUR, 1.0)
    idle = threading.Thread(target=worker.loop, daemon=True)
    idle.start()
    assert sleeping.wait(30), "the worker found the queue empty and went to sleep"
    probe(7)
    idle.join(30)
    assert not idle.is_alive(), "the enqueue woke the sleeping worker"
    assert ran == []  # it only woke; the next loop takes the job
    worker.loop()
    assert ran == [7]
    assert worker.delay == HOUR  # woken: back to its first delay, not backed off


def test_the_generation_moves_only_after_the_job_is_stored(queue: object) -> None:
    from huey import Huey

    assert isinstance(queue, Huey)
    wakeup = wakeup_of(queue)
    assert wakeup is not None
    seen_in_storage: list[int] = []
    store = queue.storage.enqueue

    def storing(data: bytes, priority: int | None = None) -> None:
        seen_in_storage.append(wakeup.generation)
        store(data, priority)

    queue.storage.enqueue = storing

    @queue.task(name="wakeup_order")
    def job() -> None:
        return None

    before = wakeup.generation
    job()
    assert seen_in_storage == [before]  # not yet moved while the job was being stored
    assert wakeup.generation == before + 1
    assert queue.pending_count() == 1


def test_stopping_the_consumer_wakes_its_sleeping_workers(queue: object) -> None:
    from huey import Huey

    from cloudtap.jobs.consumer import EmbeddedConsumer

    assert isinstance(queue, Huey)
    consumer = EmbeddedConsumer(
        queue, workers=1, worker_type="thread", periodic=False,
        initial_delay=HOUR, max_delay=HOUR, backoff=1.0,
    )  # fmt: skip
    wakeup = wakeup_of(queue)
    assert wakeup is not None
    before = wakeup.generation
    consumer.start()
    consumer.stop(graceful=True)
    assert wakeup.generation > before
    [(_worker, thread)] = consumer.worker_threads
    thread.join(30)
    assert not thread.is_alive()
