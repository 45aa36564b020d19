"""Polls the dashboard makes from a result (an album's photos, a Drive file's bytes):
ordinary polls of the same session whose payload also carries a marker naming the result
and the item they came from, so a second click finds the first poll instead of asking
Apple twice."""

from __future__ import annotations

from typing import Any

from cloudtap.api.resources import polls
from cloudtap.dashboard.calls import run
from cloudtap.dashboard.visitor import Visitor


def tag(result_id: str, item_id: str) -> str:
    """The marker's value: the result, then the item of it the poll was made for."""
    return f"{result_id}:{item_id}"


def made_from(
    visitor: Visitor, session_id: str, marker: str, result_id: str
) -> dict[str, dict[str, Any]]:
    """item id → the first poll of the session made for it from ``result_id``."""
    listed = run(visitor, polls.list_polls, session=session_id, limit=1000)
    found: dict[str, dict[str, Any]] = {}
    for poll in listed["data"]:
        value = str((poll.get("payload") or {}).get(marker) or "")
        if value.startswith(f"{result_id}:"):
            found.setdefault(value.split(":", 1)[1], poll)
    return found
