"""Permission limits: ``count`` limits on ``source_type`` scopes cap how many sources exist.

A limit ``{"level": "organisation" | "key" | "user", "type": "count", "value": N}`` on
``source_type:<pattern>`` lets at most N sources whose type matches the pattern exist in
the caller's organisation, created by the caller's key, or belonging to the user, within
the caller's environment. One more answers 403 ``limit-exceeded`` naming the scope and the
limit, and creates nothing. Limits on the other scope types are stored, not enforced.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from cloudtap.api.resources import sources as sources_resource
from cloudtap.api.server import server_config
from cloudtap.app import create_app
from cloudtap.config import Settings
from cloudtap.crypto.tokens import Environment
from cloudtap.jobs.queue import forget_queues
from cloudtap.store.accounts import issue_key
from cloudtap.store.db import dispose_all, transaction
from cloudtap.store.migrate import upgrade
from cloudtap.store.models import Session, Source
from tests.api.conftest import Tenant, make_tenant
from tests.api.helpers import create_user
from tests.jobs.fake_connector import PASSWORD
from tests.support.postgres import database_url_for

ACCOUNT = "icloud.account"


def limit(level: str, value: int) -> dict[str, Any]:
    return {"level": level, "type": "count", "value": value}


def grant(
    client: TestClient, tenant: Tenant, scopes: dict[str, Any], identifier: str = "limits"
) -> dict[str, Any]:
    response = client.post(
        "/permissions", json={"identifier": identifier, "scopes": scopes}, headers=tenant.headers
    )
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


def another_key(settings: Settings, tenant: Tenant, environment: Environment = "sandbox") -> Tenant:
    with transaction(settings.database_url) as db:
        token = issue_key(db, tenant.organisation_id, environment).token
    return Tenant(tenant.organisation_id, token)


def key_id(client: TestClient, tenant: Tenant) -> str:
    return str(client.get("/key", headers=tenant.headers).json()["id"])


def post_source(
    client: TestClient, tenant: Tenant, user_id: str, identifier: str, type_: str = ACCOUNT
) -> httpx.Response:
    body = {"user": user_id, "type": type_, "identifier": identifier}
    return client.post("/sources", json=body, headers=tenant.headers)


def post_session(
    client: TestClient, tenant: Tenant, user_id: str, identifier: str
) -> httpx.Response:
    body = {
        "source": {"user": user_id, "type": ACCOUNT, "identifier": identifier},
        "payload": {"password": PASSWORD},
    }
    return client.post("/sessions", json=body, headers=tenant.headers)


def stored_sources(settings: Settings, organisation_id: str) -> list[tuple[str, str]]:
    with transaction(settings.database_url) as db:
        rows = db.execute(
            select(Source.type, Source.identifier)
            .where(Source.organisation_id == organisation_id)
            .order_by(Source.pk)
        )
        return [(row.type, row.identifier) for row in rows]


def stored_sessions(settings: Settings, organisation_id: str) -> int:
    with transaction(settings.database_url) as db:
        query = select(func.count()).where(Session.organisation_id == organisation_id)
        return int(db.scalar(query) or 0)


def assert_limit_exceeded(response: httpx.Response, scope: str, level: str, value: int) -> None:
    assert response.status_code == 403, response.text
    body = response.json()
    assert set(body) == {"error", "message", "params"}
    assert body["error"] == "limit-exceeded"
    assert body["params"] == {"scope": scope, "limit": limit(level, value)}
    assert scope in body["message"] and isinstance(body["message"], str)


def test_organisation_limit_counts_every_key_of_the_organisation(
    client: TestClient, settings: Settings, tenant: Tenant
) -> None:
    grant(client, tenant, {f"source_type:{ACCOUNT}": [limit("organisation", 2)]})
    second_key = another_key(settings, tenant)
    user = create_user(client, tenant)
    assert post_source(client, tenant, user["id"], "a@example.com").status_code == 201
    assert post_source(client, second_key, user["id"], "b@example.com").status_code == 201
    for caller in (tenant, second_key):
        refused = post_source(client, caller, user["id"], "c@example.com")
        assert_limit_exceeded(refused, f"source_type:{ACCOUNT}", "organisation", 2)
    assert stored_sources(settings, tenant.organisation_id) == [
        (ACCOUNT, "a@example.com"),
        (ACCOUNT, "b@example.com"),
    ]


def test_key_limit_counts_only_the_sources_that_key_created(
    client: TestClient, settings: Settings, tenant: Tenant
) -> None:
    limited = another_key(settings, tenant)
    # Bound by its own permissions object; ``tenant`` stays on the organisation's default.
    grant(client, tenant, {f"source_type:{ACCOUNT}": [limit("key", 1)]}, key_id(client, limited))
    user = create_user(client, tenant)
    for n in range(3):
        assert post_source(client, tenant, user["id"], f"free-{n}@example.com").status_code == 201
    assert post_source(client, limited, user["id"], "mine@example.com").status_code == 201
    refused = post_source(client, limited, user["id"], "more@example.com")
    assert_limit_exceeded(refused, f"source_type:{ACCOUNT}", "key", 1)
    # Another key's sources never counted, and it is not limited by this key's object.
    assert post_source(client, tenant, user["id"], "free-3@example.com").status_code == 201
    assert len(stored_sources(settings, tenant.organisation_id)) == 5


def test_user_limit_counts_each_users_sources(
    client: TestClient, settings: Settings, tenant: Tenant
) -> None:
    grant(client, tenant, {f"source_type:{ACCOUNT}": [limit("user", 1)]})
    alice = create_user(client, tenant, "alice")
    bob = create_user(client, tenant, "bob")
    assert post_source(client, tenant, alice["id"], "a@example.com").status_code == 201
    refused = post_source(client, tenant, alice["id"], "a2@example.com")
    assert_limit_exceeded(refused, f"source_type:{ACCOUNT}", "user", 1)
    assert post_source(client, tenant, bob["id"], "b@example.com").status_code == 201
    assert len(stored_sources(settings, tenant.organisation_id)) == 2


def test_wildcard_patterns_count_every_matching_type_and_only_those(
    client: TestClient, settings: Settings, tenant: Tenant
) -> None:
    grant(
        client,
        tenant,
        {
            "source_type:icloud.*": [],
            "source_type:mocks.*": [limit("organisation", 1)],
        },
    )
    user = create_user(client, tenant)
    # icloud.* carries no limit: as many iCloud accounts as asked for.
    for n in range(3):
        assert post_source(client, tenant, user["id"], f"a{n}@example.com").status_code == 201
    assert post_source(client, tenant, user["id"], "m1", "mocks.mock").status_code == 201
    refused = post_source(client, tenant, user["id"], "m2", "mocks.mock")
    assert_limit_exceeded(refused, "source_type:mocks.*", "organisation", 1)


def test_a_wildcard_limit_counts_sources_of_all_matching_types_together(
    client: TestClient, settings: Settings, tenant: Tenant
) -> None:
    grant(client, tenant, {"source_type:*": [limit("user", 2)]})
    user = create_user(client, tenant)
    assert post_source(client, tenant, user["id"], "a@example.com").status_code == 201
    assert post_source(client, tenant, user["id"], "m1", "mocks.mock").status_code == 201
    refused = post_source(client, tenant, user["id"], "m2", "mocks.mock")
    assert_limit_exceeded(refused, "source_type:*", "user", 2)


def test_the_tightest_of_several_limits_refuses(
    client: TestClient, settings: Settings, tenant: Tenant
) -> None:
    grant(
        client,
        tenant,
        {
            f"source_type:{ACCOUNT}": [limit("organisation", 5), limit("user", 1)],
            "source_type:icloud.*": [limit("key", 3)],
        },
    )
    alice = create_user(client, tenant, "alice")
    bob = create_user(client, tenant, "bob")
    carol = create_user(client, tenant, "carol")
    assert post_source(client, tenant, alice["id"], "a@example.com").status_code == 201
    assert_limit_exceeded(
        post_source(client, tenant, alice["id"], "a2@example.com"),
        f"source_type:{ACCOUNT}",
        "user",
        1,
    )
    assert post_source(client, tenant, bob["id"], "b@example.com").status_code == 201
    assert post_source(client, tenant, carol["id"], "c@example.com").status_code == 201
    dave = create_user(client, tenant, "dave")
    assert_limit_exceeded(
        post_source(client, tenant, dave["id"], "d@example.com"), "source_type:icloud.*", "key", 3
    )


def test_a_session_whose_nested_source_is_one_too_many_creates_nothing(
    client: TestClient, settings: Settings, tenant: Tenant
) -> None:
    grant(client, tenant, {f"source_type:{ACCOUNT}": [limit("organisation", 1)]})
    user = create_user(client, tenant)
    first = post_session(client, tenant, user["id"], "a@example.com")
    assert first.status_code == 201, first.text
    refused = post_session(client, tenant, user["id"], "b@example.com")
    assert_limit_exceeded(refused, f"source_type:{ACCOUNT}", "organisation", 1)
    assert stored_sources(settings, tenant.organisation_id) == [(ACCOUNT, "a@example.com")]
    assert stored_sessions(settings, tenant.organisation_id) == 1
    listed = client.get("/sessions", headers=tenant.headers).json()
    assert listed["total_count"] == 1


def test_an_existing_source_is_no_new_one_at_the_limit(
    client: TestClient, settings: Settings, tenant: Tenant
) -> None:
    grant(client, tenant, {f"source_type:{ACCOUNT}": [limit("user", 1)]})
    user = create_user(client, tenant)
    made = post_source(client, tenant, user["id"], "a@example.com")
    assert made.status_code == 201
    again = post_source(client, tenant, user["id"], "a@example.com")
    assert again.status_code == 201 and again.json()["id"] == made.json()["id"]
    # A new login to the same account reuses its source: no limit is hit.
    session = post_session(client, tenant, user["id"], "a@example.com")
    assert session.status_code == 201, session.text
    assert session.json()["source"]["id"] == made.json()["id"]
    by_id = client.post(
        "/sessions",
        json={"source": made.json()["id"], "payload": {"password": PASSWORD}},
        headers=tenant.headers,
    )
    assert by_id.status_code == 201, by_id.text


def test_a_deleted_users_sources_no_longer_count(
    client: TestClient, settings: Settings, tenant: Tenant
) -> None:
    grant(client, tenant, {f"source_type:{ACCOUNT}": [limit("organisation", 1)]})
    gone = create_user(client, tenant, "gone")
    assert post_source(client, tenant, gone["id"], "a@example.com").status_code == 201
    assert client.delete(f"/users/{gone['id']}", headers=tenant.headers).status_code == 200
    kept = create_user(client, tenant, "kept")
    assert post_source(client, tenant, kept["id"], "b@example.com").status_code == 201


def test_sandbox_and_live_sources_are_counted_apart(
    client: TestClient, settings: Settings, tenant: Tenant
) -> None:
    # Permissions objects are organisation-wide: the same limit binds both environments,
    # and each environment's sources are counted on their own.
    grant(client, tenant, {f"source_type:{ACCOUNT}": [limit("organisation", 1)]})
    live = another_key(settings, tenant, "live")
    sandbox_user = create_user(client, tenant, "sandbox-user")
    live_user = create_user(client, live, "live-user")
    assert post_source(client, tenant, sandbox_user["id"], "a@example.com").status_code == 201
    assert post_source(client, live, live_user["id"], "a@example.com").status_code == 201
    for caller, user in ((tenant, sandbox_user), (live, live_user)):
        refused = post_source(client, caller, user["id"], "b@example.com")
        assert_limit_exceeded(refused, f"source_type:{ACCOUNT}", "organisation", 1)


def test_limits_on_other_scope_types_are_stored_but_not_enforced(
    client: TestClient, settings: Settings, tenant: Tenant
) -> None:
    scopes = {
        "source_type:icloud.*": [],
        "task_type:icloud.*": [limit("organisation", 1)],
        "data_type:*": [limit("key", 1)],
        "file_type:*": [limit("user", 1)],
    }
    assert grant(client, tenant, scopes)["scopes"] == scopes
    user = create_user(client, tenant)
    for n in range(2):
        assert post_source(client, tenant, user["id"], f"a{n}@example.com").status_code == 201
        assert post_session(client, tenant, user["id"], f"a{n}@example.com").status_code == 201


BAD_LIMITS = [
    ("unknown level", {"level": "planet", "type": "count", "value": 3}),
    ("unknown type", {"level": "user", "type": "bytes", "value": 3}),
    ("zero", {"level": "user", "type": "count", "value": 0}),
    ("negative", {"level": "user", "type": "count", "value": -1}),
    ("text", {"level": "user", "type": "count", "value": "3"}),
    ("fraction", {"level": "user", "type": "count", "value": 1.5}),
    ("boolean", {"level": "user", "type": "count", "value": True}),
    ("no value", {"level": "user", "type": "count"}),
    ("no level", {"type": "count", "value": 3}),
    ("no type", {"level": "user", "value": 3}),
    ("not an object", 3),
]


@pytest.mark.parametrize(("case", "bad"), BAD_LIMITS, ids=[case for case, _ in BAD_LIMITS])
def test_an_invalid_limit_is_refused_on_create_and_update(
    client: TestClient, tenant: Tenant, case: str, bad: Any
) -> None:
    scopes = {"source_type:icloud.*": [limit("user", 2), bad]}
    created = client.post(
        "/permissions", json={"identifier": "bad", "scopes": scopes}, headers=tenant.headers
    )
    assert created.status_code == 400, created.text
    assert created.json()["error"] == "invalid-parameter"
    assert any("source_type:icloud.*" in name for name in created.json()["params"]), created.json()
    listed = client.get("/permissions", headers=tenant.headers).json()["data"]
    assert [p["identifier"] for p in listed] == ["default"]

    good = {"source_type:icloud.*": [limit("user", 2)]}
    row = grant(client, tenant, good, "good")
    updated = client.post(
        f"/permissions/{row['id']}", json={"scopes": scopes}, headers=tenant.headers
    )
    assert updated.status_code == 400, updated.text
    assert updated.json()["error"] == "invalid-parameter"
    kept = client.get(f"/permissions/{row['id']}", headers=tenant.headers).json()
    assert kept["scopes"] == good


def test_valid_limits_are_kept_as_sent(client: TestClient, tenant: Tenant) -> None:
    scopes = {
        "source_type:icloud.account": [
            limit("organisation", 10),
            limit("key", 5),
            limit("user", 1),
        ],
        "task_type:icloud.*": [],
    }
    row = grant(client, tenant, scopes)
    assert row["scopes"] == scopes
    fetched = client.get(f"/permissions/{row['id']}", headers=tenant.headers).json()
    assert fetched["scopes"] == scopes


# Concurrent creates, through a real server (requests in parallel threads, each its own
# transaction), on SQLite and PostgreSQL.


@pytest.fixture(params=["sqlite", "postgresql"])
def engine_settings(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Settings]:
    with database_url_for(request.param, tmp_path, "cloudtap.db") as url:
        settings = Settings.from_env(
            {"CLOUDTAP_DATA_DIR": str(tmp_path / "data"), "CLOUDTAP_DATABASE_URL": url}
        )
        upgrade(url)
        yield settings
        forget_queues()
        dispose_all()


@pytest.fixture
def slow_counts(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each count of existing sources takes a while, so racing creates all count before
    any of them inserts unless they are serialized."""
    counted = sources_resource.source_counts

    def slowly(*args: Any, **kwargs: Any) -> dict[str, int]:
        found = counted(*args, **kwargs)
        time.sleep(0.2)
        return found

    monkeypatch.setattr(sources_resource, "source_counts", slowly)


@pytest.mark.parametrize("level", ["organisation", "key", "user"])
def test_concurrent_creates_never_exceed_the_limit(
    engine_settings: Settings, slow_counts: None, level: str, request: pytest.FixtureRequest
) -> None:
    settings = engine_settings
    tenant = make_tenant(settings, "Acme")
    port = _serve(settings, request)
    base = f"http://127.0.0.1:{port}"
    with httpx.Client(base_url=base, headers=tenant.headers, timeout=60) as http:
        created = http.post(
            "/permissions",
            json={"identifier": "limits", "scopes": {"source_type:*": [limit(level, 3)]}},
        )
        assert created.status_code == 201, created.text
        user = http.post("/users", json={"identifier": "racer"}).json()
    statuses: list[int] = []
    lock = threading.Lock()
    start = threading.Barrier(8)

    def create(n: int) -> None:
        with httpx.Client(base_url=base, headers=tenant.headers, timeout=60) as http:
            start.wait()
            body = {"user": user["id"], "type": ACCOUNT, "identifier": f"r{n}@example.com"}
            response = http.post("/sources", json=body)
        with lock:
            statuses.append(response.status_code)

    threads = [threading.Thread(target=create, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert sorted(statuses) == [201] * 3 + [403] * 5
    assert len(stored_sources(settings, tenant.organisation_id)) == 3


def _serve(settings: Settings, request: pytest.FixtureRequest) -> int:
    """A uvicorn server on ``settings`` in a thread, stopped after the test."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = int(sock.getsockname()[1])
    server = uvicorn.Server(server_config(create_app(settings), host="127.0.0.1", port=port))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    assert server.started, "uvicorn did not start"

    def stop() -> None:
        server.should_exit = True
        thread.join(10)
        sock.close()

    request.addfinalizer(stop)
    return port
