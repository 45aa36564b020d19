"""Scrape-time gauges: queue depth, and polls and tasks by state (one query each)."""

from __future__ import annotations

import logging
from collections.abc import Iterator

from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector
from sqlalchemy import func, select

from cloudtap.config import Settings
from cloudtap.jobs.queue import queue_for
from cloudtap.ops.metrics import REGISTRY
from cloudtap.store.db import transaction
from cloudtap.store.models import Poll, Task

log = logging.getLogger(__name__)


class StateCollector(Collector):
    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    def collect(self) -> Iterator[GaugeMetricFamily]:
        depth = GaugeMetricFamily(
            "cloudtap_queue_depth", "Jobs waiting in the queue (scheduled ones not counted)."
        )
        try:
            depth.add_metric([], float(queue_for(self.settings).pending_count()))
        except Exception as exc:  # a scrape must not fail because the queue is down
            log.warning("queue depth unavailable: %s", type(exc).__name__)
        yield depth
        for model, name in ((Task, "tasks"), (Poll, "polls")):
            family = GaugeMetricFamily(
                f"cloudtap_{name}", f"{name.capitalize()} by state.", labels=["state"]
            )
            try:
                with transaction(self.settings.database_url) as db:
                    rows = db.execute(select(model.state, func.count()).group_by(model.state))
                    for state, count in rows:
                        family.add_metric([str(state)], float(count))
            except Exception as exc:
                log.warning("%s by state unavailable: %s", name, type(exc).__name__)
            yield family


_collector: StateCollector | None = None


def install_state_collector(settings: Settings) -> None:
    """The registry is process-wide: one collector, reading the latest app's database."""
    global _collector
    if _collector is None:
        _collector = StateCollector(settings)
        REGISTRY.register(_collector)
    _collector.settings = settings
