"""Running the huey consumer: threads inside ``cloudtap serve``, or its own process."""

from __future__ import annotations

import cloudtap.jobs.huey_import  # noqa: F401  # isort: skip  # before huey
from huey.consumer import Consumer

from cloudtap.config import Settings
from cloudtap.jobs.queue import queue_for
from cloudtap.jobs.reclaim import LeaseSweeper
from cloudtap.jobs.webhooks import install_webhook_delivery
from cloudtap.publish.retention import RetentionSweeper

# Idle workers back off to at most this delay, so a new job starts within half a second.
MAX_IDLE_DELAY_SECONDS = 0.5


class EmbeddedConsumer(Consumer):
    """A consumer that leaves signal handling to its host process (uvicorn, pytest)."""

    sweeper: RetentionSweeper | None = None
    reclaimer: LeaseSweeper | None = None

    def _set_signal_handlers(self) -> None:
        return None


def start_embedded_consumer(settings: Settings, workers: int = 2) -> EmbeddedConsumer:
    install_webhook_delivery()
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
