"""How the runner infers deletions from a full listing, with a stand-in for the API."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

from cloudtap.pull.progress import PlainProgress
from cloudtap.pull.runner import CONTACTS, PullOptions, Runner


class Listings:
    """Answers each listing poll with the next of ``answers`` (items by id)."""

    def __init__(self, *answers: list[str]) -> None:
        self.answers = list(answers)
        self.payloads: list[dict[str, Any]] = []

    def poll(self, session_id: str, payload: dict[str, Any]) -> dict[str, Any]:
        self.payloads.append(payload)
        result = {"id": f"r{len(self.payloads)}", "identifier": payload["data_types"][0]}
        return {
            "id": f"p{len(self.payloads)}",
            "date_completed": "2026-11-30T06:00:00Z",
            "results": {"data": [result]},
        }

    def json_result(self, result: dict[str, Any]) -> dict[str, Any]:
        ids = self.answers.pop(0)
        return {"data": [{"id": i, "first_name": i, "records": []} for i in ids]}

    def ack(self, ids: list[str]) -> None:
        pass


def _run(root: Path, client: Listings, since: str | None = None) -> dict[str, Any]:
    options = PullOptions(root=root, data_types=(CONTACTS,), since=since, full=True)
    Runner(client, "s1", options, PlainProgress(io.StringIO())).run()  # type: ignore[arg-type]
    return dict(json.loads((root / "manifest.json").read_text())["data_types"][CONTACTS])


def test_a_full_listing_without_since_infers_deletions(tmp_path: Path) -> None:
    client = Listings(["a", "b", "c"], ["a", "c"])
    _run(tmp_path, client)
    assert list(_run(tmp_path, client)["deleted"]) == ["b"]


def test_a_full_listing_bounded_by_since_infers_none(tmp_path: Path) -> None:
    """Items older than ``--since`` are absent from such a listing, not deleted."""
    client = Listings(["a", "b", "c"], ["c"])
    _run(tmp_path, client)
    entry = _run(tmp_path, client, since="2026-01-01T00:00:00+00:00")
    assert entry["deleted"] == {} and client.payloads[-1]["since"]
    assert entry["count"] == 3
