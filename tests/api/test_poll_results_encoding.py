"""``GET /polls/{id}`` writes its results from a cache of their encoded JSON (bench
``api``); what it answers must stay what a fresh serialisation gives."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.api.conftest import Tenant
from tests.api.helpers import create_poll, create_session, create_user
from tests.jobs.fake_connector import FILE_ID, FakeConnector


def _poll(client: TestClient, tenant: Tenant, poll_id: str) -> dict:
    answer = client.get(f"/polls/{poll_id}", headers=tenant.headers)
    assert answer.status_code == 200
    return answer.json()


def test_poll_results_match_the_results_endpoint_and_follow_acks(
    client: TestClient, tenant: Tenant, worker: FakeConnector
) -> None:
    session = create_session(client, tenant, create_user(client, tenant)["id"])
    made = create_poll(client, tenant, session["id"], {"info_types": ["*"], "files": [FILE_ID]})
    first = _poll(client, tenant, made["id"])
    assert _poll(client, tenant, made["id"]) == first  # served again, unchanged
    results = first["results"]
    assert results["total_count"] == len(results["data"]) == 3
    for result in results["data"]:
        alone = client.get(f"/results/{result['id']}", headers=tenant.headers).json()
        assert alone == result
        assert result["signed_url"]["url"].startswith("http")

    acked = results["data"][0]["id"]
    client.post(f"/results/{acked}/ack", content=b"null", headers=tenant.headers)
    after = {r["id"]: r for r in _poll(client, tenant, made["id"])["results"]["data"]}
    assert after[acked]["state"] == "consumed" and after[acked]["signed_url"] is None
    assert all(r["state"] == "available" for i, r in after.items() if i != acked)


def test_unknown_poll_is_a_404_without_await(client: TestClient, tenant: Tenant) -> None:
    answer = client.get("/polls/no-such-poll", headers=tenant.headers)
    assert answer.status_code == 404 and answer.json()["error"] == "not-found"
