"""JSON logs of a real ``cloudtap serve``: request and poll ids, and never a secret.

A full 2FA login (password, then the code) and a poll run through the server; then its
whole log is searched for the password, the code and the API token.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx

from tests.cli.serve_process import created_key, served_api

APPLE_ID = "2fa-device@sandbox.cloudtap.dev"
PASSWORD = "sandbox-password"
CODE = "123456"
# serve's plain-text lines: its banner (the API, the dashboard, a new token).
SERVE_BANNER = ("cloudtap API on http://", "Dashboard: http://", "New sandbox API key. Token")


def new_token(data_dir: Path) -> str:
    return created_key(data_dir, "--organisation", "logs")


def test_json_logs_carry_ids_and_no_secret(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    token = new_token(data_dir)  # so serve itself prints no token
    env = {"CLOUDTAP_LOG_FORMAT": "json"}
    with served_api(data_dir, extra_env=env, expect_token=False) as api:
        http = httpx.Client(
            base_url=api.url,
            headers={"Authorization": f"Token {token}", "Ricloud-Await": "30"},
            timeout=60,
        )
        user = http.post("/users", json={"identifier": "me"}).json()
        source = {"user": user["id"], "type": "icloud.account", "identifier": APPLE_ID}
        first = http.post("/sessions", json={"source": source, "payload": {"password": PASSWORD}})
        assert first.json()["error"] == "code-required"
        assert first.headers["X-Request-Id"]
        second = http.post(
            "/sessions", json={"source": source, "payload": {"password": PASSWORD, "code": CODE}}
        ).json()
        assert second["state"] == "active", second
        poll = http.post(
            "/polls", json={"session": second["id"], "payload": {"info_types": ["*"]}}
        ).json()
        assert poll["state"] == "completed", poll
        traced = http.get(f"/polls/{poll['id']}", headers={"X-Request-Id": "trace-me-1"})
        assert traced.headers["X-Request-Id"] == "trace-me-1"
        http.close()
        log = api.log_path.read_text()

    for secret in (PASSWORD, CODE, token, token.split("_")[-1]):
        assert secret not in log, f"a secret reached the log: {secret[:4]}…"
    entries: list[dict[str, Any]] = []
    for line in log.splitlines():
        if line.startswith("{"):
            entries.append(json.loads(line))
        else:  # only serve's own banner is plain text
            assert line.startswith(SERVE_BANNER), line
    requests = [e for e in entries if e["logger"] == "cloudtap.requests"]
    assert requests and all(e.get("request_id") for e in requests)
    retrieve = [e for e in requests if e.get("request_id") == "trace-me-1"]
    assert len(retrieve) == 1
    assert retrieve[0]["poll_id"] == poll["id"]
    assert retrieve[0]["route"] == "/polls/{poll_id}" and retrieve[0]["status"] == 200
    created = [e for e in requests if e["message"].startswith("POST /polls ")]
    assert [e["poll_id"] for e in created] == [poll["id"]]
