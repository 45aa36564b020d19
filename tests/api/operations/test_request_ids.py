"""A request without a sane ``X-Request-Id`` of its own is given a fresh one."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

from cloudtap.api.operations.endpoints import new_request_id


def test_every_request_gets_its_own_id(client: TestClient) -> None:
    given = [client.get("/healthz").headers["X-Request-Id"] for _ in range(50)]
    assert len(set(given)) == 50
    assert all(re.fullmatch(r"[0-9a-f]{32}", rid) for rid in given)
    assert client.get("/healthz", headers={"X-Request-Id": "bad id!"}).headers[
        "X-Request-Id"
    ] not in ("bad id!", *given)


def test_ids_made_in_a_row_differ() -> None:
    made = [new_request_id() for _ in range(10_000)]
    assert len(set(made)) == len(made)
