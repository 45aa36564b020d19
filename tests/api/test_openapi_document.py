"""The OpenAPI document declares what the server really honours beyond FastAPI's routes."""

from __future__ import annotations

from fastapi.testclient import TestClient

from cloudtap.api.idempotency import MAX_KEY_LENGTH
from tests.api.conftest import Tenant


def test_every_post_declares_its_idempotency_key(client: TestClient) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    posts = {path: operations["post"] for path, operations in paths.items() if "post" in operations}
    assert {"/sessions", "/polls", "/keys", "/users"} <= set(posts)
    for path, operation in posts.items():
        declared = [p for p in operation.get("parameters", []) if p["name"] == "Idempotency-Key"]
        assert len(declared) == 1, path
        assert declared[0]["in"] == "header" and declared[0]["required"] is False
        assert declared[0]["schema"]["maxLength"] == MAX_KEY_LENGTH
        assert "idempotency-key-reused" in declared[0]["description"]
    others = [
        (path, method)
        for path, operations in paths.items()
        for method, operation in operations.items()
        if method != "post"
        and any(p["name"] == "Idempotency-Key" for p in operation.get("parameters", []))
    ]
    assert others == []


def test_the_declared_length_is_the_one_enforced(client: TestClient, tenant: Tenant) -> None:
    body = {"identifier": "u"}
    longest = {**tenant.headers, "Idempotency-Key": "k" * MAX_KEY_LENGTH}
    assert client.post("/users", json=body, headers=longest).status_code == 201
    too_long = {**tenant.headers, "Idempotency-Key": "k" * (MAX_KEY_LENGTH + 1)}
    reply = client.post("/users", json=body, headers=too_long)
    assert (reply.status_code, reply.json()["error"]) == (400, "invalid-parameter")
