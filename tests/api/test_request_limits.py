"""Size limits: request bodies, string fields, list lengths and unknown payload keys.

A client that sends megabytes where a name or a few ids belong gets a clear 4xx in
ricloud's error format, and nothing oversized reaches the database or the events.
"""

from __future__ import annotations

from collections.abc import Iterator

import httpx
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from cloudtap.api.limits import (
    MAX_CONFIG_BYTES,
    MAX_EXTRA_PAYLOAD_BYTES,
    MAX_LIST_ITEMS,
    MAX_NAME_LENGTH,
)
from cloudtap.config import Settings
from cloudtap.store.db import transaction
from cloudtap.store.models import Event, Organisation, Poll
from tests.api.conftest import Tenant
from tests.api.helpers import create_session, create_user
from tests.api.test_errors import assert_error
from tests.jobs.fake_connector import FakeConnector


def test_body_over_the_cap_is_413(client: TestClient, tenant: Tenant, settings: Settings) -> None:
    body = b'{"name": "' + b"x" * settings.max_body_bytes + b'"}'
    response = client.post("/organisation", content=body, headers=tenant.headers)
    assert_error(response, 413, "body-too-large")
    assert response.json()["params"] == {"max_bytes": settings.max_body_bytes}


def test_streamed_body_without_length_is_cut_off_at_the_cap(
    client: TestClient, tenant: Tenant, settings: Settings
) -> None:
    def chunks() -> Iterator[bytes]:
        # No Content-Length: the server must count what it reads and stop at the cap.
        yield b'{"name": "'
        for _ in range(64):
            yield b"x" * (64 * 1024)
        yield b'"}'

    response = client.post("/organisation", content=chunks(), headers=tenant.headers)
    assert_error(response, 413, "body-too-large")


def test_a_body_under_the_cap_still_works(client: TestClient, tenant: Tenant) -> None:
    response = client.post("/organisation", json={"name": "Acme Ltd"}, headers=tenant.headers)
    assert response.status_code == 200, response.text
    assert response.json()["name"] == "Acme Ltd"


def test_long_organisation_name_is_refused_and_not_stored(
    client: TestClient, tenant: Tenant, settings: Settings
) -> None:
    response = client.post(
        "/organisation", json={"name": "n" * (MAX_NAME_LENGTH + 1)}, headers=tenant.headers
    )
    body = assert_error(response, 400, "invalid-parameter")
    assert "name" in body["params"]
    with transaction(settings.database_url) as db:
        stored = db.scalar(
            select(Organisation.name).where(Organisation.id == tenant.organisation_id)
        )
    assert stored == "Acme"


def test_long_user_identifier_is_refused(client: TestClient, tenant: Tenant) -> None:
    response = client.post("/users", json={"identifier": "u" * 501}, headers=tenant.headers)
    assert "identifier" in assert_error(response, 400, "invalid-parameter")["params"]


def _poll(client: TestClient, tenant: Tenant, session_id: str, payload: object) -> httpx.Response:
    return client.post(
        "/polls", json={"session": session_id, "payload": payload}, headers=tenant.headers
    )


def test_poll_lists_are_capped(client: TestClient, tenant: Tenant, worker: FakeConnector) -> None:
    session = create_session(client, tenant, create_user(client, tenant)["id"])
    for field in ("info_types", "data_types", "files"):
        too_many = [f"item-{n}" for n in range(MAX_LIST_ITEMS[field] + 1)]
        response = _poll(client, tenant, session["id"], {field: too_many})
        body = assert_error(response, 400, "invalid-parameter")
        assert any(key.startswith(f"payload.{field}") for key in body["params"]), body


def test_poll_list_entries_are_length_capped(
    client: TestClient, tenant: Tenant, worker: FakeConnector
) -> None:
    session = create_session(client, tenant, create_user(client, tenant)["id"])
    response = _poll(client, tenant, session["id"], {"files": ["icpl://" + "a" * 5000]})
    assert_error(response, 400, "invalid-parameter")


def test_oversized_unknown_payload_keys_are_refused_and_never_copied(
    client: TestClient, tenant: Tenant, settings: Settings, worker: FakeConnector
) -> None:
    session = create_session(client, tenant, create_user(client, tenant)["id"])
    with transaction(settings.database_url) as db:
        events_before = db.scalar(select(func.count()).select_from(Event))
    payload = {"info_types": ["*"], "comment": "c" * (MAX_EXTRA_PAYLOAD_BYTES + 1)}
    body = assert_error(_poll(client, tenant, session["id"], payload), 400, "invalid-parameter")
    assert "payload" in body["params"]
    with transaction(settings.database_url) as db:
        assert db.scalar(select(func.count()).select_from(Poll)) == 0
        assert db.scalar(select(func.count()).select_from(Event)) == events_before


def test_small_unknown_payload_keys_are_kept(
    client: TestClient, tenant: Tenant, worker: FakeConnector
) -> None:
    session = create_session(client, tenant, create_user(client, tenant)["id"])
    response = _poll(client, tenant, session["id"], {"info_types": ["*"], "tag": "nightly"})
    assert response.status_code == 201, response.text
    assert response.json()["payload"]["tag"] == "nightly"


def test_organisation_config_is_capped_across_updates(client: TestClient, tenant: Tenant) -> None:
    half = "v" * (MAX_CONFIG_BYTES // 2)
    first = client.post("/organisation", json={"config": {"a": half}}, headers=tenant.headers)
    assert first.status_code == 200, first.text
    # Each update is small; merged, they would pass the cap.
    response = client.post("/organisation", json={"config": {"b": half}}, headers=tenant.headers)
    assert "config" in assert_error(response, 400, "invalid-parameter")["params"]
    kept = client.get("/organisation", headers=tenant.headers).json()["config"]
    assert "a" in kept and "b" not in kept
