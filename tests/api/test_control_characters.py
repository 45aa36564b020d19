"""A NUL byte (PostgreSQL refuses it in text) or another control character in an
identifier or text field is a 400 in ricloud's error shape, on SQLite and PostgreSQL,
whether it comes in a JSON body, the path or the query string."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from cloudtap.app import create_app
from cloudtap.config import Settings
from cloudtap.jobs.queue import forget_queues
from cloudtap.store.db import dispose_all
from cloudtap.store.migrate import upgrade
from tests.api.conftest import Tenant, make_tenant
from tests.support.postgres import database_url_for


@pytest.fixture(params=["sqlite", "postgresql"])
def api(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[TestClient, Tenant]]:
    with database_url_for(request.param, tmp_path, "cloudtap.db", fail_in_ci=True) as url:
        settings = Settings.from_env(
            {"CLOUDTAP_DATA_DIR": str(tmp_path / "data"), "CLOUDTAP_DATABASE_URL": url}
        )
        upgrade(url)
        tenant = make_tenant(settings, "Acme")
        with TestClient(create_app(settings), raise_server_exceptions=False) as client:
            yield client, tenant
        forget_queues()
        dispose_all()


def _refused(answer: object, field: str) -> None:
    from httpx import Response

    assert isinstance(answer, Response)
    assert answer.status_code == 400, answer.text
    body = answer.json()
    assert set(body) == {"error", "message", "params"}
    assert body["error"] == "invalid-parameter"
    assert field in body["params"], body


@pytest.mark.parametrize("bad", ["a\x00b", "\x00", "a\x01b", "a\x1bb", "a\x7fb"])
def test_a_control_character_in_a_body_field_is_refused(
    api: tuple[TestClient, Tenant], bad: str
) -> None:
    client, tenant = api
    _refused(client.post("/users", json={"identifier": bad}, headers=tenant.headers), "identifier")
    user = client.post("/users", json={"identifier": "fine"}, headers=tenant.headers).json()
    nested = {"user": user["id"], "identifier": f"x{bad}@example.com"}
    _refused(client.post("/sources", json=nested, headers=tenant.headers), "identifier")
    # Nothing was written.
    users = client.get("/users", headers=tenant.headers).json()["data"]
    assert [u["identifier"] for u in users] == ["fine"]


def test_a_nul_in_a_key_of_the_body_is_refused(api: tuple[TestClient, Tenant]) -> None:
    client, tenant = api
    answer = client.post("/users", json={"identifier": "u", "x\x00": 1}, headers=tenant.headers)
    assert answer.status_code == 400, answer.text


def test_a_nul_in_the_path_or_query_is_refused(api: tuple[TestClient, Tenant]) -> None:
    client, tenant = api
    _refused(client.get("/users/a%00b", headers=tenant.headers), "path")
    _refused(client.get("/users?starting_after=a%00b", headers=tenant.headers), "starting_after")
    _refused(client.post("/results/a%00/ack", headers=tenant.headers), "path")


def test_ordinary_text_still_passes(api: tuple[TestClient, Tenant]) -> None:
    client, tenant = api
    for identifier in ("tab\tseparated", "line\nbreak", "café ✓", "back\\u0000slash"):
        created = client.post("/users", json={"identifier": identifier}, headers=tenant.headers)
        assert created.status_code == 201, created.text
        assert created.json()["identifier"] == identifier
