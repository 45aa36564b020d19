"""``POST /polls`` (what ricloud-py sends, ``Ricloud-Await: 0``) writes the poll, its
"created" event and its fair-queue job in one transaction and answers from what it
wrote: ``api-mix`` measured it at 0.07x the bare authenticated endpoint, with three
transactions and 17 statements per request (a brand-new poll's tasks and results read
twice, the poll read back, its tenant looked up again to queue its job)."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import select

from cloudtap.config import Settings
from cloudtap.jobs.consumer import start_embedded_consumer, stop_consumer
from cloudtap.store.db import transaction
from cloudtap.store.models import Event, QueuedJob
from tests.api.conftest import Tenant
from tests.api.helpers import create_session, create_user
from tests.jobs.fake_connector import FakeConnector
from tests.support.statements import counted_statements

# Auth (the audit trail's actor comes from the keys authentication remembers) plus the
# session, scopes, storage config and open-poll checks, the poll, its event and its
# queued job: none per task or result; and, at most once a second, the events
# listener's look for any webhook config (cloudtap.jobs.webhook_targets), which a slow
# run meets more than once.
MAX_CREATE_STATEMENTS = 10


def test_creating_a_poll_is_one_transaction_of_a_fixed_few_statements(
    client: TestClient, tenant: Tenant, settings: Settings, fake_connector: FakeConnector
) -> None:
    consumer = start_embedded_consumer(settings, workers=1)
    try:  # the login job runs; no poll job runs beside the counted requests
        session = create_session(client, tenant, create_user(client, tenant)["id"])
    finally:
        stop_consumer(consumer)
    body = {"session": session["id"], "payload": {"data_types": ["fmip.devices"]}}
    headers = {**tenant.headers, "Ricloud-Await": "0", "User-Agent": "ricloud-py/3.2.0"}
    created = []
    for _ in range(3):
        with counted_statements(settings) as seen:
            answer = client.post("/polls", json=body, headers=headers)
        assert answer.status_code == 201, answer.text
        created.append(answer.json())
        assert len(seen.statements) <= MAX_CREATE_STATEMENTS, seen.statements
        # The key was just used: neither authentication nor the audit trail asks again.
        assert not [s for s in seen.statements if "keys.token_hash" in s], seen.statements
        assert seen.write_commits == 1, seen.statements
    poll = created[-1]
    # The answer is the poll as written: pending, no tasks or results yet.
    assert poll["state"] == "pending"
    assert poll["session"] == session["id"]
    assert poll["payload"]["data_types"] == ["fmip.devices"]
    assert all(poll[f"tasks_{s}"] == [] for s in ("pending", "processing", "succeeded"))
    assert poll["results"]["data"] == [] and poll["results"]["total_count"] == 0
    assert client.get(f"/polls/{poll['id']}", headers=tenant.headers).json() == poll
    with transaction(settings.database_url) as db:
        # Its "created" event carries the same object; its job waits in the fair queue.
        data = db.scalars(
            select(Event.data).where(Event.type == "poll", Event.action == "created")
        ).all()
        jobs = db.scalars(select(QueuedJob.args).where(QueuedJob.name == "poll")).all()
    assert poll in data
    assert sorted(j[0] for j in jobs) == sorted(p["id"] for p in created)
