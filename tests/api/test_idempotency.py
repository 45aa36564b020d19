"""``Idempotency-Key`` on POST: same request → same answer replayed; another → 422."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import update

from cloudtap.api.idempotency import request_fingerprint
from cloudtap.app import create_app
from cloudtap.config import Settings
from cloudtap.store.accounts import key_for_token
from cloudtap.store.db import transaction
from cloudtap.store.idempotency import Claimed, claim
from cloudtap.store.ids import utcnow
from cloudtap.store.models import IdempotencyRecord
from tests.api.conftest import Tenant


def keys_total(client: TestClient, tenant: Tenant) -> int:
    return int(client.get("/keys", headers=tenant.headers).json()["total_count"])


def test_a_retried_post_replays_the_first_answer(
    client: TestClient, tenant: Tenant, settings: Settings
) -> None:
    headers = {**tenant.headers, "Idempotency-Key": "create-key-1"}
    before = keys_total(client, tenant)
    first = client.post("/keys", json={}, headers=headers)
    again = client.post("/keys", json={}, headers=headers)
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert again.headers["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first.headers
    assert keys_total(client, tenant) == before + 1  # one key, not two
    # The replayable answer holds the new token: it is stored sealed, never in clear.
    token = first.json()["token"]
    database = Path(settings.database_url.removeprefix("sqlite:///"))
    files = list(database.parent.glob(database.name + "*"))  # with -wal / -journal
    assert database in files
    assert not [f for f in files if token.encode() in f.read_bytes()]


def test_the_same_key_with_another_body_is_refused(client: TestClient, tenant: Tenant) -> None:
    headers = {**tenant.headers, "Idempotency-Key": "user-a"}
    assert client.post("/users", json={"identifier": "a"}, headers=headers).status_code == 201
    other = client.post("/users", json={"identifier": "b"}, headers=headers)
    assert other.status_code == 422
    assert other.json() == {
        "error": "idempotency-key-reused",
        "message": "This Idempotency-Key was used with another request.",
        "params": {"Idempotency-Key": "user-a"},
    }
    # Another path under the same key is another request too.
    assert client.post("/keys", json={}, headers=headers).status_code == 422


def test_keys_are_per_api_key_and_errors_are_replayed_too(
    client: TestClient, tenant: Tenant, other_tenant: Tenant
) -> None:
    body = {"identifier": "shared"}
    mine = client.post("/users", json=body, headers={**tenant.headers, "Idempotency-Key": "k"})
    theirs = client.post(
        "/users", json=body, headers={**other_tenant.headers, "Idempotency-Key": "k"}
    )
    assert mine.status_code == theirs.status_code == 201
    assert mine.json()["id"] != theirs.json()["id"]
    invalid = {**tenant.headers, "Idempotency-Key": "bad"}
    first = client.post("/users", json={"identifier": ""}, headers=invalid)
    assert first.status_code == 400
    replayed = client.post("/users", json={"identifier": ""}, headers=invalid)
    assert (replayed.status_code, replayed.json()) == (400, first.json())
    assert replayed.headers["Idempotent-Replayed"] == "true"


def test_an_overlong_key_is_invalid(client: TestClient, tenant: Tenant) -> None:
    headers = {**tenant.headers, "Idempotency-Key": "x" * 256}
    refused = client.post("/users", json={"identifier": "a"}, headers=headers)
    assert refused.status_code == 400
    assert refused.json()["params"] == {"Idempotency-Key": "1 to 255 characters"}


def test_answers_expire_after_the_ttl(
    monkeypatch: pytest.MonkeyPatch, settings: Settings, tenant: Tenant
) -> None:
    monkeypatch.setenv("CLOUDTAP_IDEMPOTENCY_TTL", "60")
    with TestClient(create_app(settings)) as client:
        headers = {**tenant.headers, "Idempotency-Key": "short"}
        before = utcnow()
        first = client.post("/keys", json={}, headers=headers).json()
        with transaction(settings.database_url) as db:
            record = db.query(IdempotencyRecord).filter_by(idempotency_key="short").one()
            # Kept for the configured TTL from when it was answered...
            lifetime = record.date_expires - before
            assert timedelta(seconds=59) <= lifetime <= timedelta(seconds=61)
            # ...and once that time has passed (moved, not waited for), it is gone.
            record.date_expires = utcnow() - timedelta(seconds=1)
        later = client.post("/keys", json={}, headers=headers)
        assert later.status_code == 201 and "Idempotent-Replayed" not in later.headers
        assert later.json()["id"] != first["id"]


def test_in_flight_is_409_and_a_claim_whose_process_died_is_taken_over(
    client: TestClient, tenant: Tenant, settings: Settings
) -> None:
    headers = {**tenant.headers, "Idempotency-Key": "slow"}
    body = {"identifier": "slow"}
    # A first request that is still being answered: claimed, no answer yet.
    with transaction(settings.database_url) as db:
        key = key_for_token(db, tenant.token)
        assert key is not None
        first = client.build_request("POST", "/users", json=body, headers=headers)
        scope = {"method": "POST", "path": "/users", "query_string": b""}
        fingerprint = request_fingerprint(scope, first.read())
        claimed = claim(db, key.id, "slow", fingerprint, timedelta(days=1))
        assert isinstance(claimed, Claimed)
    busy = client.post("/users", json=body, headers=headers)
    assert busy.status_code == 409 and busy.json()["error"] == "idempotency-key-in-progress"
    # Its process died: long after, the claim is abandoned and the retry runs for real.
    with transaction(settings.database_url) as db:
        db.execute(update(IdempotencyRecord).values(date_created=utcnow() - timedelta(minutes=10)))
    retried = client.post("/users", json=body, headers=headers)
    assert retried.status_code == 201 and "Idempotent-Replayed" not in retried.headers
    again = client.post("/users", json=body, headers=headers)
    assert again.headers["Idempotent-Replayed"] == "true" and again.json() == retried.json()
