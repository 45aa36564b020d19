"""Every failure is ricloud's JSON error body with the right status and code."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.exc import IntegrityError

from cloudtap.app import create_app
from cloudtap.config import Settings
from tests.api.conftest import Tenant


def assert_error(response: Any, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"error", "message", "params"}
    assert body["error"] == code
    assert isinstance(body["message"], str) and body["message"]
    return body


def test_missing_token_is_401(client: TestClient) -> None:
    assert_error(client.get("/organisation"), 401, "authentication-required")


@pytest.mark.parametrize(
    "header", ["Token ct_sandbox_not-a-real-token", "Token ", "Basic abc", "ct_sandbox_x"]
)
def test_invalid_token_is_401(client: TestClient, header: str) -> None:
    assert_error(client.get("/users", headers={"Authorization": header}), 401, "invalid-token")


def test_deactivated_key_is_rejected(client: TestClient, tenant: Tenant) -> None:
    created = client.post("/keys", json={}, headers=tenant.headers).json()
    other = {"Authorization": f"Token {created['token']}"}
    assert client.get("/key", headers=other).status_code == 200
    client.post(f"/keys/{created['id']}", json={"state": "deactivated"}, headers=tenant.headers)
    assert_error(client.get("/key", headers=other), 401, "invalid-token")


def test_malformed_json_is_invalid_body(client: TestClient, tenant: Tenant) -> None:
    response = client.post(
        "/users",
        content=b'{"identifier": "x",',
        headers={**tenant.headers, "Content-Type": "application/json"},
    )
    assert_error(response, 400, "invalid-body")


def test_body_without_content_type_is_parsed_as_json(client: TestClient, tenant: Tenant) -> None:
    response = client.post("/users", content=b'{"identifier": "no-ctype"}', headers=tenant.headers)
    assert response.status_code == 201
    assert response.json()["identifier"] == "no-ctype"


def test_form_content_type_json_body_is_still_json(client: TestClient, tenant: Tenant) -> None:
    # What `curl -d '{...}'` sends when the user forgets -H 'Content-Type: ...'.
    headers = {**tenant.headers, "Content-Type": "application/x-www-form-urlencoded"}
    response = client.post("/users", content=b'{"identifier": "curl-user"}', headers=headers)
    assert response.status_code == 201


def test_wrong_types_name_the_parameter(client: TestClient, tenant: Tenant) -> None:
    body = assert_error(
        client.post("/users", json={"identifier": 12}, headers=tenant.headers),
        400,
        "invalid-parameter",
    )
    assert "identifier" in body["params"]
    body = assert_error(
        client.post(
            "/configs/storage",
            json={"url": "s3://b/p", "signed_urls_enabled": "maybe"},
            headers=tenant.headers,
        ),
        400,
        "invalid-parameter",
    )
    assert "signed_urls_enabled" in body["params"]


def test_unknown_fields_are_rejected(client: TestClient, tenant: Tenant) -> None:
    body = assert_error(
        client.post("/users", json={"identifier": "a", "colour": "blue"}, headers=tenant.headers),
        400,
        "invalid-parameter",
    )
    assert "colour" in body["params"]


@pytest.mark.parametrize("body", [b"null", b"[]", b'"text"', b"42"])
def test_non_object_bodies_on_create_are_invalid(
    client: TestClient, tenant: Tenant, body: bytes
) -> None:
    assert_error(
        client.post("/users", content=body, headers=tenant.headers), 400, "invalid-parameter"
    )


def test_null_body_is_accepted_by_action_endpoints(client: TestClient, tenant: Tenant) -> None:
    config = client.post(
        "/configs/storage", json={"url": "gs://bucket/dir"}, headers=tenant.headers
    ).json()
    response = client.post(
        f"/configs/storage/{config['id']}/test", content=b"null", headers=tenant.headers
    )
    assert response.status_code == 201
    assert response.json()["resource"] == "task"
    assert response.json()["type"] == "storage_config.test"


@pytest.mark.parametrize(
    "path",
    [
        "/users/{x}",
        "/sources/{x}",
        "/sessions/{x}",
        "/polls/{x}",
        "/tasks/{x}",
        "/results/{x}",
        "/events/{x}",
        "/keys/{x}",
        "/configs/storage/{x}",
        "/configs/webhook/{x}",
        "/permissions/{x}",
    ],
)
def test_unknown_ids_are_404(client: TestClient, tenant: Tenant, path: str) -> None:
    body = assert_error(
        client.get(path.format(x="no-such-id"), headers=tenant.headers), 404, "not-found"
    )
    assert body["params"] == {"id": "no-such-id"}


def test_unknown_route_and_method_are_json(client: TestClient, tenant: Tenant) -> None:
    assert_error(client.get("/nowhere", headers=tenant.headers), 404, "not-found")
    assert_error(client.put("/users", json={}, headers=tenant.headers), 405, "method-not-allowed")


@pytest.mark.parametrize("query", ["limit=0", "limit=1001", "limit=ten"])
def test_bad_limits_are_invalid_parameter(client: TestClient, tenant: Tenant, query: str) -> None:
    body = assert_error(
        client.get(f"/users?{query}", headers=tenant.headers), 400, "invalid-parameter"
    )
    assert "limit" in body["params"]


def test_unknown_cursor_is_invalid_parameter(client: TestClient, tenant: Tenant) -> None:
    assert_error(
        client.get("/users?after_id=nope", headers=tenant.headers), 400, "invalid-parameter"
    )


def test_references_to_unknown_objects_are_invalid_parameter(
    client: TestClient, tenant: Tenant
) -> None:
    assert_error(
        client.post(
            "/polls",
            json={"session": "nope", "payload": {"info_types": ["*"]}},
            headers=tenant.headers,
        ),
        400,
        "invalid-parameter",
    )
    assert_error(
        client.post(
            "/sessions",
            json={"source": {"user": "nope", "identifier": "a@b.c"}, "payload": {"password": "x"}},
            headers=tenant.headers,
        ),
        400,
        "invalid-parameter",
    )


def test_bad_await_header_is_invalid_parameter(client: TestClient, tenant: Tenant) -> None:
    assert_error(
        client.get("/sessions/x", headers={**tenant.headers, "Ricloud-Await": "soon"}),
        400,
        "invalid-parameter",
    )


@pytest.mark.parametrize(
    "body",
    [
        b'{"identifier": "\xff\xfe"}',  # not UTF-8
        b"[" * 1000 + b"]" * 1000,  # nested deeper than any request needs
        b'{"identifier": ' + b'{"a": ' * 1000 + b"1" + b"}" * 1000 + b"}",
    ],
)
def test_undecodable_or_too_deep_bodies_are_invalid_body(
    client: TestClient, tenant: Tenant, body: bytes
) -> None:
    assert_error(client.post("/users", content=body, headers=tenant.headers), 400, "invalid-body")


@pytest.mark.parametrize("method", ["TRACE", "PUT", "PATCH"])
def test_method_not_allowed_says_what_is_allowed(
    client: TestClient, tenant: Tenant, method: str
) -> None:
    response = client.request(method, "/users", headers=tenant.headers)
    assert_error(response, 405, "method-not-allowed")
    assert set(response.headers["allow"].replace(" ", "").split(",")) == {"GET", "POST"}


def test_renaming_a_user_to_a_taken_identifier_is_409(client: TestClient, tenant: Tenant) -> None:
    client.post("/users", json={"identifier": "alice"}, headers=tenant.headers)
    bob = client.post("/users", json={"identifier": "bob"}, headers=tenant.headers).json()
    body = assert_error(
        client.post(f"/users/{bob['id']}", json={"identifier": "alice"}, headers=tenant.headers),
        409,
        "identifier-in-use",
    )
    assert "identifier" in body["params"]
    assert client.get(f"/users/{bob['id']}", headers=tenant.headers).json()["identifier"] == "bob"


def test_another_organisations_identifier_is_no_conflict(
    client: TestClient, tenant: Tenant, other_tenant: Tenant
) -> None:
    client.post("/users", json={"identifier": "alice"}, headers=other_tenant.headers)
    bob = client.post("/users", json={"identifier": "bob"}, headers=tenant.headers).json()
    response = client.post(
        f"/users/{bob['id']}", json={"identifier": "alice"}, headers=tenant.headers
    )
    assert response.status_code == 200, response.text


def test_integrity_errors_anywhere_are_409_not_500(settings: Settings) -> None:
    app = create_app(settings)

    @app.get("/_duplicate")
    def _duplicate() -> None:
        raise IntegrityError("INSERT ...", {}, Exception("UNIQUE constraint failed"))

    with TestClient(app, raise_server_exceptions=False) as test_client:
        body = assert_error(test_client.get("/_duplicate"), 409, "conflict")
    assert "UNIQUE" not in body["message"]  # no SQL in the API
