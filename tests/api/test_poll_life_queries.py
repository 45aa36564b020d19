"""One small poll's whole life after ``POST /polls`` (its poll job, its one task job, the
fair-queue turns around both) runs in a fixed few statements and commits: the first
pass measured ~44 ms of CPU for these jobs against ~6 ms for the request, with 54
statements and 12 commits (a tenant lookup and a transaction per queued task, the poll
and session read again at each step, a turn taken in eight statements, the poll's
completion in a transaction of its own)."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import func, select

from cloudtap.config import Settings
from cloudtap.jobs.consumer import start_embedded_consumer, stop_consumer
from cloudtap.jobs.queue import queue_for
from cloudtap.store.db import transaction
from cloudtap.store.models import Event, QueuedJob, Result
from tests.api.conftest import Tenant
from tests.api.helpers import create_session, create_user
from tests.jobs.fake_connector import FakeConnector
from tests.support.statements import counted_statements

# Two fair turns (take 3, end 1 each), the poll's claim (5) and plan (4: its lease, its
# task, the task's event and job), the task's claim (6), its settle (5: lease, task,
# result, two events) and the poll's completion (2 + 4 for its event); the first poll
# also renews the session's Apple state (its check: read and write the session).
MAX_JOB_STATEMENTS = (37, 35)
# Each turn taken and ended (4), the poll claimed and planned (2), the task claimed and
# settled with the poll's completion (2).
MAX_WRITE_COMMITS = 8
MAX_COMMITS = 9  # and the task's poll looked up for its log lines


def _run_queued_jobs(settings: Settings) -> int:
    """Run every message on the queue in this thread, as a consumer's worker does."""
    huey, ran = queue_for(settings), 0
    while (message := huey.dequeue()) is not None:
        huey.execute(message)
        ran += 1
    return ran


def test_a_small_polls_jobs_take_a_fixed_few_statements_and_commits(
    client: TestClient, tenant: Tenant, settings: Settings, fake_connector: FakeConnector
) -> None:
    consumer = start_embedded_consumer(settings, workers=1)
    try:  # the login job runs; then no consumer: this thread runs the poll's jobs
        session = create_session(client, tenant, create_user(client, tenant)["id"])
    finally:
        stop_consumer(consumer)
    body = {"session": session["id"], "payload": {"data_types": ["mme_contacts.contacts"]}}
    headers = {**tenant.headers, "Ricloud-Await": "0", "User-Agent": "ricloud-py/3.2.0"}
    for budget in MAX_JOB_STATEMENTS:  # the second poll's session was just used
        answer = client.post("/polls", json=body, headers=headers)
        assert answer.status_code == 201, answer.text
        poll_id = answer.json()["id"]
        with counted_statements(settings, this_thread_only=True) as seen:
            messages = _run_queued_jobs(settings)
        assert messages == 2  # the poll's turn, then its task's
        assert len(seen.statements) <= budget, "\n".join(seen.statements)
        assert seen.write_commits <= MAX_WRITE_COMMITS, "\n".join(seen.statements)
        assert seen.commits <= MAX_COMMITS, "\n".join(seen.statements)
    # Every behaviour kept: the poll completed with its one result, its events recorded
    # in order, and nothing left in the fair queue.
    poll = client.get(f"/polls/{poll_id}", headers=tenant.headers).json()
    assert poll["state"] == "completed"
    assert len(poll["tasks_succeeded"]) == 1 and poll["results"]["total_count"] == 1
    with transaction(settings.database_url) as db:
        actions = db.execute(
            select(Event.type, Event.action).where(Event.data["poll"].as_string() == poll_id)
        ).all()
        results = db.scalar(select(func.count()).where(Result.poll_id == poll_id))
        queued = db.scalar(select(func.count()).select_from(QueuedJob))
    assert ("task", "created") in actions and ("task", "succeeded") in actions
    assert ("result", "created") in actions
    assert results == 1 and queued == 0
    with transaction(settings.database_url) as db:
        completed = db.scalars(
            select(Event.data).where(Event.type == "poll", Event.action == "completed")
        ).all()
    assert [data["id"] for data in completed if data["id"] == poll_id] == [poll_id]
    assert next(data for data in completed if data["id"] == poll_id)["state"] == "completed"
