"""Older / newer links under a dashboard list, on the API's own cursors.

A list page reads ``?after=<id>`` (older than that object) or ``?before=<id>`` (newer
than it) and passes them to the API's list endpoint as ``after_id`` / ``before_id``;
the links keep the page's other query parameters (its filters).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from fastapi import Request

PAGE_SIZE = 50


@dataclass(frozen=True)
class Cursor:
    after_id: str | None
    before_id: str | None


@dataclass(frozen=True)
class Pager:
    older: str | None  # the query string of the next older page, if any
    newer: str | None


def cursor_of(request: Request) -> Cursor:
    return Cursor(
        request.query_params.get("after") or None,
        request.query_params.get("before") or None,
    )


def _link(request: Request, name: str, value: str) -> str:
    kept = [(k, v) for k, v in request.query_params.multi_items() if k not in ("after", "before")]
    return "?" + urlencode([*kept, (name, value)])


def pager_for(request: Request, cursor: Cursor, listed: dict[str, Any]) -> Pager:
    """Where the older and newer pages are, from the list the API answered."""
    data = listed.get("data") or []
    if not data:
        return Pager(None, None)
    backwards = cursor.before_id is not None
    has_older = True if backwards else bool(listed.get("has_more"))
    has_newer = bool(listed.get("has_more")) if backwards else cursor.after_id is not None
    return Pager(
        _link(request, "after", data[-1]["id"]) if has_older else None,
        _link(request, "before", data[0]["id"]) if has_newer else None,
    )
