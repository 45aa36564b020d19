"""Running the huey consumer: threads inside ``cloudtap serve``, or its own process."""

from __future__ import annotations

import cloudtap.jobs.huey_import  # noqa: F401  # isort: skip  # before huey
from huey.consumer import Consumer, Worker

from cloudtap.config import Settings
from cloudtap.jobs import registry  # noqa: F401  # defines every job on the queue
from cloudtap.jobs.lanes import LANES
from cloudtap.jobs.queue import queue_for, wakeup_of
from cloudtap.jobs.reclaim import LeaseSweeper
from cloudtap.jobs.webhooks import install_webhook_delivery
from cloudtap.ops.allocator import release_free_memory
from cloudtap.publish.retention import RetentionSweeper

# Idle workers back off to at most this delay, so a job enqueued by another process starts
# within half a second (one enqueued by this process wakes them at once: queue.Wakeup).
MAX_IDLE_DELAY_SECONDS = 0.5


class WakingWorker(Worker):
    """A worker that, finding the queue empty, sleeps until a job is enqueued in this
    process (``Wakeup``) or its polling delay ends, whichever comes first. Idle after
    running jobs, it first gives the memory they freed back (:mod:`ops.allocator`), so
    a long-running process returns to its floor between polls."""

    delay: float
    default_delay: float
    max_delay: float
    backoff: float
    task_count: int
    _seen = 0
    _released_after = 0  # task_count when this worker last gave memory back

    def loop(self, now: object = None) -> None:
        wakeup = wakeup_of(self.huey)
        # Read before the queue is: an enqueue after this point wakes the sleep below.
        self._seen = wakeup.generation if wakeup is not None else 0
        super().loop(now)

    def sleep(self) -> None:
        # Not while a files batch runs on another thread: a full collection and a trim
        # hold the GIL and malloc's locks for tens of milliseconds, which the next short
        # job (another tenant's poll) would wait out; the batch's own end frees it later.
        if (
            self.task_count != self._released_after
            and not LANES.long_running()
            and release_free_memory()
        ):
            self._released_after = self.task_count
        wakeup = wakeup_of(self.huey)
        if wakeup is None:
            super().sleep()
            return
        self.delay = min(self.delay, self.max_delay)
        if wakeup.wait(self._seen, self.delay) or self.stop_flag.is_set():
            self.delay = self.default_delay
        else:
            self.delay *= self.backoff


class EmbeddedConsumer(Consumer):
    """A consumer that leaves signal handling to its host process (uvicorn, pytest)."""

    worker_class = WakingWorker
    sweeper: RetentionSweeper | None = None
    reclaimer: LeaseSweeper | None = None

    def _set_signal_handlers(self) -> None:
        return None

    def stop(self, graceful: bool = False) -> None:
        self.stop_flag.set()
        wakeup = wakeup_of(self.huey)
        if wakeup is not None:
            wakeup.notify()  # sleeping workers see the stop flag now, not after their delay
        super().stop(graceful=graceful)


def start_embedded_consumer(settings: Settings, workers: int = 2) -> EmbeddedConsumer:
    install_webhook_delivery()
    LANES.set_threads(workers)  # one thread kept for short jobs (jobs/lanes.py)
    consumer = EmbeddedConsumer(
        queue_for(settings),
        workers=workers,
        worker_type="thread",
        periodic=False,
        initial_delay=0.05,
        backoff=1.5,
        max_delay=MAX_IDLE_DELAY_SECONDS,
    )
    consumer.start()
    consumer.sweeper = RetentionSweeper(settings).start()
    consumer.reclaimer = LeaseSweeper(settings).start()
    return consumer


def stop_consumer(consumer: Consumer) -> None:
    for helper in (getattr(consumer, "reclaimer", None), getattr(consumer, "sweeper", None)):
        if helper is not None:
            helper.stop()
    consumer.stop(graceful=True)


def run_worker(settings: Settings, workers: int) -> None:
    """Blocks: a standalone worker process, with huey's own signal handling."""
    install_webhook_delivery()
    LANES.set_threads(workers)
    consumer = queue_for(settings).create_consumer(
        workers=workers, worker_type="thread", periodic=False, max_delay=1.0
    )
    sweeper = RetentionSweeper(settings).start()
    # Takes back what dead workers (this one's earlier life included) left running.
    reclaimer = LeaseSweeper(settings).start()
    try:
        consumer.run()
    finally:
        reclaimer.stop()
        sweeper.stop()
