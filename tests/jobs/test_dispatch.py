"""Where a poll's planning runs (issue 25, item 2): a poll of many files is planned in
the long jobs' lane, so another tenant's one-task poll never waits behind that planning
on the short lane's thread; a small poll is planned on the short lane at once."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from cloudtap.config import Settings
from cloudtap.jobs import registry  # noqa: F401  # defines the queue's jobs
from cloudtap.jobs.dispatch import enqueue_poll
from cloudtap.jobs.fair import run_next
from cloudtap.jobs.lanes import LANES
from cloudtap.store.db import transaction
from tests.jobs.job_database import job_settings, processing_poll


@pytest.fixture
def settings(tmp_path: Path) -> Iterator[Settings]:
    LANES.set_threads(2)  # as ``serve``: one long-job slot, one short lane
    with job_settings("sqlite", tmp_path) as settings:
        yield settings
    LANES.set_threads(1)


def _poll(settings: Settings, payload: dict[str, list[str]]) -> str:
    with transaction(settings.database_url) as db:
        return processing_poll(db, settings, payload).id  # each in an organisation of its own


def test_a_files_polls_planning_waits_for_the_long_lane_a_small_one_does_not(
    settings: Settings,
) -> None:
    files = [f"icpl://file-{n}" for n in range(148)]
    backlog = _poll(settings, {"files": files})
    small = _poll(settings, {"data_types": ["fmip.devices"]})
    enqueue_poll(settings, backlog, len(files))  # queued first
    enqueue_poll(settings, small)
    planned: list[str] = []
    jobs = {name: planned.append for name in ("poll", "files_poll")}

    assert LANES.try_reserve_long()  # a files batch runs on the other thread
    try:
        run_next(jobs)
        run_next(jobs)
        assert planned == [small]  # the short lane planned the small poll, not the backlog
    finally:
        LANES.release_long()
    run_next(jobs)  # the batch ended: the long lane is free
    assert planned == [small, backlog]
