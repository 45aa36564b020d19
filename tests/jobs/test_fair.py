"""A long job's view of other tenants' waiting jobs (issue 25, item 2): with a short
lane, a job another thread will start at once is no reason to hand a files batch over;
one that has waited past the grace is, and without a lane any waiting job is."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from cloudtap.config import Settings
from cloudtap.jobs import fair
from cloudtap.jobs.fair import YIELD_GRACE_SECONDS, OthersWaiting
from cloudtap.jobs.lanes import LANES
from cloudtap.store.db import transaction
from cloudtap.store.fair_queue import Tenant
from cloudtap.store.ids import utcnow
from cloudtap.store.models import QueuedJob
from tests.jobs.job_database import job_settings

BATCH_OWNER, OTHER = Tenant("org-a", "key-a"), Tenant("org-b", "key-b")


@pytest.fixture
def settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Settings]:
    monkeypatch.setattr(fair, "OTHERS_CHECK_SECONDS", 0.0)  # every call asks the database
    with job_settings("sqlite", tmp_path) as settings:
        yield settings
    LANES.set_threads(1)


def _queue(settings: Settings, waited: float) -> None:
    with transaction(settings.database_url) as db:
        db.add(
            QueuedJob(
                organisation_id=OTHER.organisation_id, key_id=OTHER.key_id, name="poll",
                args=["p"], date_created=utcnow() - timedelta(seconds=waited),
            )
        )  # fmt: skip


def test_with_a_short_lane_a_batch_keeps_its_turn_for_a_job_just_queued(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A grace far longer than this test, so "just queued" holds on a slow machine too.
    monkeypatch.setattr(fair, "YIELD_GRACE_SECONDS", 3600.0)
    LANES.set_threads(2)
    others_waiting = OthersWaiting(settings, BATCH_OWNER)
    _queue(settings, waited=0.0)
    assert not others_waiting()  # the lane's free thread takes it
    _queue(settings, waited=2 * 3600.0)
    assert others_waiting()  # it waited past the grace: no thread was free for it


def test_the_grace_is_shorter_than_a_second() -> None:
    assert 0 < YIELD_GRACE_SECONDS < 1  # a job no thread takes still gets its turn soon


def test_without_a_lane_any_waiting_job_takes_the_turn(settings: Settings) -> None:
    LANES.set_threads(1)
    others_waiting = OthersWaiting(settings, BATCH_OWNER)
    _queue(settings, waited=0.0)
    assert others_waiting()


def test_its_own_jobs_never_take_its_turn(settings: Settings) -> None:
    LANES.set_threads(2)
    with transaction(settings.database_url) as db:
        db.add(QueuedJob(organisation_id=BATCH_OWNER.organisation_id,
                         key_id=BATCH_OWNER.key_id, name="file_batch", args=["p", []],
                         date_created=utcnow() - timedelta(seconds=60)))  # fmt: skip
    assert not OthersWaiting(settings, BATCH_OWNER)()
