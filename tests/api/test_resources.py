"""Shapes and rules of the simpler resources: users, keys, organisation, configs, lists."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import select

from cloudtap.config import Settings
from cloudtap.crypto.tokens import hash_token
from cloudtap.store.db import transaction
from cloudtap.store.models import Key, StorageConfig
from tests.api.conftest import Tenant
from tests.api.helpers import create_user, finished_task
from tests.jobs.fake_connector import FakeConnector


def test_repeated_user_create_returns_the_same_user(client: TestClient, tenant: Tenant) -> None:
    first = client.post("/users", json={"identifier": "same"}, headers=tenant.headers)
    again = client.post("/users", json={"identifier": "same"}, headers=tenant.headers)
    assert first.status_code == 201 and again.status_code == 200
    assert first.json()["id"] == again.json()["id"]
    assert first.json()["resource"] == "user"
    assert client.get("/users", headers=tenant.headers).json()["total_count"] == 1


def test_lists_page_with_cursors(client: TestClient, tenant: Tenant) -> None:
    ids = [create_user(client, tenant, f"u{i}")["id"] for i in range(5)]
    newest_first = list(reversed(ids))
    page = client.get("/users?limit=2", headers=tenant.headers).json()
    assert page["resource"] == "list" and page["url"] == "/users"
    assert [u["id"] for u in page["data"]] == newest_first[:2]
    assert page["has_more"] is True and page["total_count"] == 5
    page2 = client.get(f"/users?limit=2&after_id={newest_first[1]}", headers=tenant.headers).json()
    assert [u["id"] for u in page2["data"]] == newest_first[2:4]
    page3 = client.get(f"/users?limit=2&after_id={newest_first[3]}", headers=tenant.headers).json()
    assert [u["id"] for u in page3["data"]] == newest_first[4:] and page3["has_more"] is False
    back = client.get(f"/users?limit=2&before_id={newest_first[4]}", headers=tenant.headers).json()
    assert [u["id"] for u in back["data"]] == newest_first[2:4] and back["has_more"] is True
    default = client.get("/users", headers=tenant.headers).json()
    assert len(default["data"]) == 5
    filtered = client.get("/users?identifier=u3", headers=tenant.headers).json()
    assert [u["id"] for u in filtered["data"]] == [ids[3]]


def test_key_tokens_are_shown_once_and_stored_hashed(
    client: TestClient, tenant: Tenant, settings: Settings
) -> None:
    created = client.post("/keys", json={}, headers=tenant.headers).json()
    token = created["token"]
    assert token.startswith("ct_sandbox_") and created["environment"] == "sandbox"
    again = client.get(f"/keys/{created['id']}", headers=tenant.headers).json()
    assert again["token"] is None
    assert again["token_hint"].startswith("ct_sandbox_") and token.endswith(
        again["token_hint"][-4:]
    )
    with transaction(settings.database_url) as db:
        row = db.scalars(select(Key).where(Key.id == created["id"])).one()
        stored = [str(getattr(row, c.key)) for c in Key.__table__.columns]
    assert row.token_hash == hash_token(token)
    assert token not in stored
    db_bytes = settings.data_dir.joinpath("cloudtap.db").read_bytes()
    assert token.encode() not in db_bytes
    current = client.get("/key", headers={"Authorization": f"Token {token}"}).json()
    assert current["id"] == created["id"]


def test_rotating_a_key_invalidates_the_old_token(client: TestClient, tenant: Tenant) -> None:
    created = client.post("/keys", json={}, headers=tenant.headers).json()
    rotated = client.post(f"/keys/{created['id']}/rotate", json={}, headers=tenant.headers).json()
    assert rotated["token"] != created["token"]
    assert (
        client.get("/key", headers={"Authorization": f"Token {created['token']}"}).status_code
        == 401
    )
    assert (
        client.get("/key", headers={"Authorization": f"Token {rotated['token']}"}).status_code
        == 200
    )


def test_sandbox_keys_cannot_mint_live_keys(client: TestClient, tenant: Tenant) -> None:
    response = client.post("/keys", json={"environment": "live"}, headers=tenant.headers)
    assert response.status_code == 400 and response.json()["params"] == {
        "environment": "a sandbox key cannot create live keys"
    }


def test_organisation_shape_and_defaults(client: TestClient, tenant: Tenant) -> None:
    org = client.get("/organisation", headers=tenant.headers).json()
    assert org["resource"] == "organisation" and org["permissions"]["resource"] == "permissions"
    assert org["storage_configs"]["resource"] == "list"
    webhook = client.post(
        "/configs/webhook", json={"url": "https://hooks.example.org/hooks"}, headers=tenant.headers
    ).json()
    assert webhook["secret"] and webhook["state"] == "new"
    second = client.post(
        "/configs/webhook", json={"url": "https://example.com/hooks"}, headers=tenant.headers
    ).json()
    org = client.get("/organisation", headers=tenant.headers).json()
    assert org["webhook_config_default"] == webhook["id"]  # the first becomes the default
    updated = client.post(
        "/organisation",
        json={"webhook_config_default": second["id"], "name": "Renamed"},
        headers=tenant.headers,
    ).json()
    assert updated["webhook_config_default"] == second["id"] and updated["name"] == "Renamed"
    assert updated["webhook_configs"]["total_count"] == 2


def test_storage_credentials_are_sealed_and_never_echoed(
    client: TestClient, tenant: Tenant, settings: Settings
) -> None:
    secret = "s3cr3t-access-key-value"
    created = client.post(
        "/configs/storage",
        json={
            "url": "s3://bucket/prefix",
            "credentials": {"access_key_id": "AKIDEXAMPLE", "secret_access_key": secret},
        },
        headers=tenant.headers,
    ).json()
    assert created["type"] == "s3" and created["credentials"] == {}
    with transaction(settings.database_url) as db:
        row = db.scalars(select(StorageConfig).where(StorageConfig.id == created["id"])).one()
        assert row.credentials_sealed and secret.encode() not in row.credentials_sealed
    bad = client.post("/configs/storage", json={"url": "ftp://x/y"}, headers=tenant.headers)
    assert bad.status_code == 400 and "url" in bad.json()["params"]


def test_storage_config_test_task_sets_valid_or_invalid(
    client: TestClient, tenant: Tenant, worker: FakeConnector, settings: Settings
) -> None:
    good_dir = settings.data_dir / "results" / "elsewhere"
    good = client.post(
        "/configs/storage", json={"url": f"file://{good_dir}"}, headers=tenant.headers
    ).json()
    task = client.post(
        f"/configs/storage/{good['id']}/test", content=b"null", headers=tenant.headers
    ).json()
    assert (
        finished_task(client, tenant, task["id"], attempts=100, interval=0.1)["state"]
        == "succeeded"
    )
    assert (
        client.get(f"/configs/storage/{good['id']}", headers=tenant.headers).json()["state"]
        == "valid"
    )
    gs = client.post("/configs/storage", json={"url": "gs://b/p"}, headers=tenant.headers).json()
    task = client.post(f"/configs/storage/{gs['id']}/test", headers=tenant.headers).json()
    assert (
        finished_task(client, tenant, task["id"], attempts=100, interval=0.1)["error"]
        == "storage-unsupported"
    )
    assert (
        client.get(f"/configs/storage/{gs['id']}", headers=tenant.headers).json()["state"]
        == "invalid"
    )


def test_deletes_answer_with_json(client: TestClient, tenant: Tenant) -> None:
    config = client.post(
        "/configs/storage", json={"url": "gs://b/p"}, headers=tenant.headers
    ).json()
    response = client.delete(f"/configs/storage/{config['id']}", headers=tenant.headers)
    assert response.status_code == 200
    assert response.json()["deleted"] is True and response.json()["resource"] == "storage_config"
    org = client.get("/organisation", headers=tenant.headers).json()
    assert org["storage_config_default"] is None


def test_permissions_and_sources(client: TestClient, tenant: Tenant) -> None:
    created = client.post(
        "/permissions",
        json={
            "identifier": "limits",
            "scopes": {"data_type:icpl.*": [{"level": "user", "type": "count", "value": 3}]},
        },
        headers=tenant.headers,
    ).json()
    assert created["resource"] == "permissions"
    user = create_user(client, tenant)
    source = client.post(
        "/sources", json={"user": user["id"], "identifier": "a@b.c"}, headers=tenant.headers
    ).json()
    assert source["state"] == "unvalidated" and source["children"]["resource"] == "list"
    same = client.post(
        "/sources", json={"user": user["id"], "identifier": "a@b.c"}, headers=tenant.headers
    ).json()
    assert same["id"] == source["id"]
    found = client.get(f"/sources?user={user['id']}&identifier=a@b.c", headers=tenant.headers)
    assert found.json()["total_count"] == 1


def test_openapi_describes_every_resource(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    paths = spec["paths"]
    for path in (
        "/organisation",
        "/key",
        "/keys",
        "/users",
        "/sources",
        "/sessions",
        "/polls",
        "/tasks",
        "/results",
        "/results/{result_id}/ack",
        "/events",
        "/configs/storage",
        "/configs/webhook",
        "/permissions",
    ):
        assert path in paths, path
    schemas = spec["components"]["schemas"]
    for model in (
        "SessionCreate",
        "SessionOut",
        "PollCreate",
        "PollOut",
        "UserOut",
        "ResultOut",
        "KeyOut",
        "OrganisationOut",
        "WebhookConfigOut",
        "StorageConfigOut",
        "EventOut",
    ):
        assert model in schemas, model
