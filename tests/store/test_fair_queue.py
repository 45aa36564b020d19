"""The fair queue's turns (SQLite and PostgreSQL): organisations round-robin, then the
keys of one, oldest first within a key; every job taken once, whoever takes it."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

from sqlalchemy import func, select

from cloudtap.store import fair_queue
from cloudtap.store.db import transaction
from cloudtap.store.fair_queue import TakenJob, Tenant
from cloudtap.store.migrate import upgrade
from cloudtap.store.models import QueuedJob

A1, A2, B = Tenant("org-a", "key-1"), Tenant("org-a", "key-2"), Tenant("org-b", "key-3")


def _push(database_url: str, *jobs: tuple[Tenant, str]) -> None:
    with transaction(database_url) as db:
        for tenant, label in jobs:
            fair_queue.push(db, tenant, "poll", [label])


def _take(database_url: str) -> TakenJob | None:
    with transaction(database_url) as db:
        return fair_queue.take_next(db)


def _finish(database_url: str, job: TakenJob) -> None:
    with transaction(database_url) as db:
        fair_queue.finish(db, job)


def _drain(database_url: str) -> list[str]:
    """Takes and ends jobs one after the other, as one worker does."""
    taken: list[str] = []
    while (job := _take(database_url)) is not None:
        taken.append(job.args[0])
        _finish(database_url, job)
    return taken


def test_organisations_take_turns_then_their_keys(database_url: str) -> None:
    upgrade(database_url)
    # A's first key has a backlog queued ahead of everyone else's jobs.
    _push(database_url, (A1, "a1-1"), (A1, "a1-2"), (A1, "a1-3"), (A2, "a2-1"))
    _push(database_url, (B, "b-1"), (B, "b-2"))
    assert _drain(database_url) == ["a1-1", "b-1", "a2-1", "b-2", "a1-2", "a1-3"]


def test_a_tenant_that_waited_goes_before_one_just_served(database_url: str) -> None:
    upgrade(database_url)
    _push(database_url, (A1, "a1-1"), (A1, "a1-2"))
    assert _drain(database_url) == ["a1-1", "a1-2"]
    _push(database_url, (A1, "a1-3"), (B, "b-1"))
    # A was served last: B's job goes first although A's was queued earlier.
    assert _drain(database_url) == ["b-1", "a1-3"]


def test_a_tenant_with_nothing_running_goes_before_one_holding_a_worker(
    database_url: str,
) -> None:
    upgrade(database_url)
    _push(database_url, (A1, "a-1"))
    holding = _take(database_url)  # A's long job keeps its worker
    _push(database_url, (B, "b-1"))
    assert _drain(database_url) == ["b-1"]  # B was served after A...
    _push(database_url, (A1, "a-2"), (B, "b-2"))
    # ...but A still has a job running and B none: B's job goes first.
    assert _drain(database_url) == ["b-2", "a-2"]
    assert holding is not None
    _finish(database_url, holding)
    with transaction(database_url) as db:
        assert fair_queue.waiting(db) == 0 and fair_queue.take_next(db) is None


def test_a_job_whose_worker_died_stops_counting_as_running(database_url: str) -> None:
    upgrade(database_url)
    _push(database_url, (A1, "a-1"), (A1, "a-2"), (B, "b-1"))
    with transaction(database_url) as db:
        lost = fair_queue.take_next(db, running_for=0)  # its worker dies: it lapses at once
        assert lost is not None and lost.args == ["a-1"]
        # B's job goes next (A counts none running now, but B was never served)...
        nxt = fair_queue.take_next(db)
        assert nxt is not None and nxt.args == ["b-1"]
        # ...and the lapsed row is gone: only the running b-1 and the waiting a-2 remain.
        assert db.scalar(select(func.count()).select_from(QueuedJob)) == 2
        fair_queue.finish(db, nxt)
    assert _drain(database_url) == ["a-2"]


def test_arguments_keep_their_bytes_and_others_waiting_sees_other_tenants(
    database_url: str,
) -> None:
    upgrade(database_url)
    with transaction(database_url) as db:
        fair_queue.push(db, A1, "login", ["session", "key", b"\x00sealed\xff"])
        assert not fair_queue.others_waiting(db, A1)
        assert fair_queue.others_waiting(db, A2)  # another key of the same organisation
        assert fair_queue.others_waiting(db, B)
    job = _take(database_url)
    assert job is not None
    assert (job.tenant, job.name, job.args) == (A1, "login", ["session", "key", b"\x00sealed\xff"])


def test_others_waiting_can_ask_for_jobs_queued_by_a_moment(database_url: str) -> None:
    upgrade(database_url)
    with transaction(database_url) as db:
        fair_queue.push(db, A1, "poll", ["just queued"])
        queued = db.scalars(select(QueuedJob)).one().date_created
        assert fair_queue.others_waiting(db, B, queued_by=queued)
        assert not fair_queue.others_waiting(db, B, queued_by=queued - timedelta(seconds=1))
        assert fair_queue.others_waiting(db, B)  # no moment given: every waiting job


def test_workers_racing_take_every_job_once(database_url: str) -> None:
    upgrade(database_url)
    labels = [f"job-{n}" for n in range(40)]
    tenants = [A1, A2, B]
    _push(database_url, *[(tenants[n % 3], label) for n, label in enumerate(labels)])
    with ThreadPoolExecutor(4) as pool:
        taken = [label for part in pool.map(_drain, [database_url] * 4) for label in part]
    assert sorted(taken) == sorted(labels)
    with transaction(database_url) as db:
        assert fair_queue.waiting(db) == 0


def test_jobs_of_an_excluded_kind_are_passed_over_and_stay_waiting(database_url: str) -> None:
    upgrade(database_url)
    with transaction(database_url) as db:
        fair_queue.push(db, A1, "file_batch", ["batch"])
        fair_queue.push(db, A1, "poll", ["poll"])
    with transaction(database_url) as db:
        taken = fair_queue.take_next(db, excluding=frozenset({"file_batch"}))
    assert taken is not None and taken.args == ["poll"]  # the older batch was passed over
    _finish(database_url, taken)
    with transaction(database_url) as db:
        assert fair_queue.take_next(db, excluding=frozenset({"file_batch"})) is None
        assert fair_queue.waiting(db) == 1
    assert _drain(database_url) == ["batch"]


def test_others_active_sees_another_tenants_recent_short_job_waiting_or_running(
    database_url: str,
) -> None:
    upgrade(database_url)
    long_kinds = frozenset({"file_batch"})
    with transaction(database_url) as db:
        fair_queue.push(db, A1, "file_batch", ["poll", []])
        fair_queue.push(db, B, "poll", ["small"])
        queued = max(db.scalars(select(QueuedJob.date_created)))
        now, earlier = queued, queued - timedelta(seconds=1)
        # B's short job waits: A's keys see it; B never sees its own, nor A's batch.
        assert fair_queue.others_active(db, A1, now, earlier, long_kinds)
        assert fair_queue.others_active(db, A2, now, earlier, long_kinds)
        assert not fair_queue.others_active(db, B, now, earlier, long_kinds)
        # Queued before the moment asked about: no longer counted.
        assert not fair_queue.others_active(db, A1, now, queued + timedelta(seconds=1), long_kinds)
    with transaction(database_url) as db:
        taken = fair_queue.take_next(db, excluding=long_kinds)  # the short lane takes it
    assert taken is not None and taken.tenant == B
    with transaction(database_url) as db:
        assert fair_queue.others_active(db, A1, now, earlier, long_kinds)  # running
        lapsed = now + timedelta(days=1)  # its worker died: the lease ran out
        assert not fair_queue.others_active(db, A1, lapsed, earlier, long_kinds)
    _finish(database_url, taken)
    with transaction(database_url) as db:
        assert not fair_queue.others_active(db, A1, now, earlier, long_kinds)  # it ended
