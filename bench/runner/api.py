"""cloudtap through its HTTP API, as a user drives it: sessions, polls, results."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import httpx

from tests.cli.serve_process import ServedAPI

PASSWORD = "sandbox-password"


class CloudtapAPI:
    def __init__(self, served: ServedAPI) -> None:
        self.served = served
        self.http = httpx.Client(
            base_url=served.url,
            headers={"Authorization": f"Token {served.token}"},
            timeout=120,
        )
        self.user = self._post("/users", {"identifier": "bench"})["id"]

    def close(self) -> None:
        self.http.close()

    def _post(self, path: str, body: Any, wait: int = 0) -> Any:
        headers = {"Ricloud-Await": str(wait)} if wait else {}
        reply = self.http.post(path, json=body, headers=headers)
        reply.raise_for_status()
        return reply.json()

    def login(self, apple_id: str) -> str:
        body = {
            "source": {"user": self.user, "type": "icloud.account", "identifier": apple_id},
            "payload": {"password": PASSWORD},
        }
        session = self._post("/sessions", body, wait=30)
        if session["state"] != "active":
            raise RuntimeError(f"login of {apple_id}: {session}")
        return str(session["id"])

    def poll(self, session: str, payload: dict[str, Any]) -> tuple[float, dict[str, Any]]:
        """Create a poll and wait for it to complete: (seconds, the poll)."""
        started = time.perf_counter()
        poll = self._post("/polls", {"session": session, "payload": payload}, wait=30)
        while poll["state"] not in ("completed", "failed"):
            reply = self.http.get(f"/polls/{poll['id']}", headers={"Ricloud-Await": "30"})
            reply.raise_for_status()
            poll = reply.json()
        seconds = time.perf_counter() - started
        if poll["state"] != "completed" or (poll.get("errors") or {}).get("data"):
            raise RuntimeError(f"poll {poll['id']} ended {poll['state']}: {poll.get('errors')}")
        return seconds, poll

    def results(self, poll_id: str) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = []
        after: str | None = None
        while True:
            params = {"poll": poll_id, "limit": "1000", **({"after_id": after} if after else {})}
            page = self.http.get("/results", params=params).json()
            found += page["data"]
            if not page["has_more"]:
                return found
            after = page["data"][-1]["id"]

    def json_items(self, poll: dict[str, Any]) -> list[dict[str, Any]]:
        """The items of the poll's one JSON result, read from its local file."""
        [result] = poll["results"]["data"]
        path = Path(result["url"].removeprefix("local://"))
        return list(json.loads(path.read_bytes())["data"])
