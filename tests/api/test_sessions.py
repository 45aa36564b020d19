"""Session states through HTTP: the seed's flows, driven by the fake connector."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.api.conftest import Tenant
from tests.api.helpers import create_session, create_user
from tests.jobs.fake_connector import CODE, PASSWORD, FakeConnector


def test_password_only_account_becomes_active(
    client: TestClient, tenant: Tenant, worker: FakeConnector
) -> None:
    session = create_session(client, tenant, create_user(client, tenant)["id"])
    assert session["state"] == "active" and session["error"] is None
    assert session["source"]["state"] == "active"
    assert session["source"]["identifier"] == "plain@example.com"


def test_two_factor_needs_a_second_post_with_the_code(
    client: TestClient, tenant: Tenant, worker: FakeConnector
) -> None:
    user = create_user(client, tenant)["id"]
    first = create_session(client, tenant, user, "twofa@example.com", password=PASSWORD)
    assert (first["state"], first["error"]) == ("failed", "code-required")
    assert first["source"]["state"] == "unvalidated"
    wrong = create_session(
        client, tenant, user, "twofa@example.com", password=PASSWORD, code="000000"
    )
    assert (wrong["state"], wrong["error"]) == ("failed", "code-required")
    assert wrong["error_info"] == {"reason": "code-invalid"}
    right = create_session(client, tenant, user, "twofa@example.com", password=PASSWORD, code=CODE)
    assert right["state"] == "active"
    assert len({first["id"], wrong["id"], right["id"]}) == 3  # each POST is a new session
    assert first["source"]["id"] == right["source"]["id"]
    # The code completed the login in progress that the first attempt started.
    assert worker.logins[-1]["saved"] == {"kind": "login", "chosen": True}


def test_two_step_needs_a_choice_then_a_code(
    client: TestClient, tenant: Tenant, worker: FakeConnector
) -> None:
    user = create_user(client, tenant)["id"]
    first = create_session(client, tenant, user, "twosv@example.com", password=PASSWORD)
    assert (first["state"], first["error"]) == ("failed", "choice-required")
    assert first["error_info"] == {"choices": ["+44 ••• 12"]}
    chosen = create_session(client, tenant, user, "twosv@example.com", password=PASSWORD, choice=0)
    assert (chosen["state"], chosen["error"]) == ("failed", "code-required")
    done = create_session(client, tenant, user, "twosv@example.com", password=PASSWORD, code=CODE)
    assert done["state"] == "active"


def test_trusted_source_logs_in_again_without_a_code(
    client: TestClient, tenant: Tenant, worker: FakeConnector
) -> None:
    user = create_user(client, tenant)["id"]
    create_session(client, tenant, user, "twofa@example.com", password=PASSWORD)
    create_session(client, tenant, user, "twofa@example.com", password=PASSWORD, code=CODE)
    again = create_session(client, tenant, user, "twofa@example.com", password=PASSWORD)
    assert again["state"] == "active"
    assert worker.logins[-1]["saved"]["trusted"] is True


def test_locked_account_locks_the_source(
    client: TestClient, tenant: Tenant, worker: FakeConnector
) -> None:
    session = create_session(client, tenant, create_user(client, tenant)["id"], "locked@x.com")
    assert (session["state"], session["error"]) == ("failed", "account-locked")
    assert session["source"]["state"] == "locked"


def test_wrong_password_is_invalid_credentials(
    client: TestClient, tenant: Tenant, worker: FakeConnector
) -> None:
    session = create_session(client, tenant, create_user(client, tenant)["id"], password="wrong")
    assert (session["state"], session["error"]) == ("failed", "invalid-credentials")


def test_without_await_the_session_is_pending_then_settles(
    client: TestClient, tenant: Tenant, worker: FakeConnector
) -> None:
    user = create_user(client, tenant)["id"]
    body = {
        "source": {"user": user, "identifier": "plain@example.com"},
        "payload": {"password": PASSWORD},
    }
    created = client.post("/sessions", json=body, headers=tenant.headers).json()
    assert created["state"] in ("pending", "active")
    settled = client.get(
        f"/sessions/{created['id']}", headers={**tenant.headers, "Ricloud-Await": "20"}
    ).json()
    assert settled["state"] == "active"
    listed = client.get(
        f"/sessions?source={created['source']['id']}&state=active", headers=tenant.headers
    ).json()
    assert [s["id"] for s in listed["data"]] == [created["id"]]


def test_a_session_needs_a_password(client: TestClient, tenant: Tenant) -> None:
    user = create_user(client, tenant)["id"]
    response = client.post(
        "/sessions",
        json={"source": {"user": user, "identifier": "a@b.c"}, "payload": {}},
        headers=tenant.headers,
    )
    assert response.status_code == 400 and response.json()["error"] == "invalid-parameter"
