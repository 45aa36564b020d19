"""``GET /sessions/{id}`` (ricloud-py's ``Session.retrieve``, asked while a poll runs)
reads the session once when it need not wait, and finds its source's children by index."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from fastapi.testclient import TestClient

from cloudtap.config import Settings
from tests.api.conftest import Tenant
from tests.api.helpers import create_session, create_user
from tests.api.test_poll_list_queries import counted_selects
from tests.jobs.fake_connector import FakeConnector


def test_a_session_read_without_a_wait_reads_its_row_once_and_no_table_scan(
    client: TestClient, tenant: Tenant, settings: Settings, worker: FakeConnector
) -> None:
    session = create_session(client, tenant, create_user(client, tenant)["id"])
    with counted_selects(settings) as statements:
        read = client.get(
            f"/sessions/{session['id']}", headers={**tenant.headers, "Ricloud-Await": "0"}
        )
    assert read.status_code == 200 and read.json()["id"] == session["id"]
    assert sum("FROM sessions" in s for s in statements) == 1, statements
    missing = client.get("/sessions/no-such-session", headers=tenant.headers)
    assert missing.status_code == 404 and missing.json()["error"] == "not-found"
    path = Path(settings.database_url.split("///", 1)[1])
    with sqlite3.connect(path) as raw:
        for statement in statements:
            if "FROM sources" in statement:
                plan = raw.execute(
                    f"EXPLAIN QUERY PLAN {statement}", ["x"] * statement.count("?")
                ).fetchall()
                assert not any(row[3].startswith("SCAN sources") for row in plan), plan
