"""``cloudtap pull`` tells the person what to do while the login waits for the account
holder (ADP: allow the request on a trusted device), once, and goes on when it is done.
Unit test of the pull client's edge: the API's answers are canned."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from cloudtap.pull.client import CloudtapClient
from cloudtap.pull.login import PasswordSources, active_session

MESSAGE = "Advanced Data Protection is on: approve the request on one of your trusted devices"


class _NoPrompts:
    def password(self, apple_id: str) -> str:
        raise AssertionError("the password comes from the environment")

    def code(self, apple_id: str, retry: bool) -> str:
        raise AssertionError("no code is asked")

    def choice(self, choices: list[str]) -> str:
        raise AssertionError("no choice is asked")


def test_the_wait_is_explained_once_then_the_session_is_active(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    waiting = {"waiting_for": "device-consent", "message": MESSAGE, "wait_seconds": 180}
    answers = [
        {"id": "s1", "state": "pending", "error": None, "error_info": waiting},
        {"id": "s1", "state": "pending", "error": None, "error_info": waiting},
        {"id": "s1", "state": "active", "error": None, "error_info": None},
    ]
    asked: list[str] = []

    def api(request: httpx.Request) -> httpx.Response:
        asked.append(f"{request.method} {request.url.path}")
        if request.method == "POST":
            body: dict[str, Any] = json.loads(request.content)
            assert body["payload"] == {"password": "pw"}
        return httpx.Response(200, json=answers.pop(0))

    client = CloudtapClient("http://api.test", "token")
    client._http = httpx.Client(base_url="http://api.test", transport=httpx.MockTransport(api))
    monkeypatch.setenv("ADP_PW", "pw")
    session = active_session(
        client, "me", "adp-web@example.test", None, PasswordSources("ADP_PW"), _NoPrompts()
    )
    assert session["state"] == "active"
    assert asked == ["POST /sessions", "GET /sessions/s1", "GET /sessions/s1"]
    said = capsys.readouterr().err
    assert said.count(MESSAGE) == 1 and "waiting" in said
