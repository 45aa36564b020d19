"""Reading a result's stored bytes for the signed-in visitor (scoped as the API scopes)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from cloudtap.api.common import load_scoped, unit_of_work
from cloudtap.api.errors import ApiError
from cloudtap.dashboard.calls import ActionRefused
from cloudtap.dashboard.visitor import Visitor
from cloudtap.publish.stores import open_for_read
from cloudtap.store.models import Result

# A JSON result larger than this is offered as a download, not rendered.
MAX_RENDERED_BYTES = 20 * 1024 * 1024


@dataclass(frozen=True)
class StoredResult:
    id: str
    identifier: str
    type: str
    size: int
    storage: str
    location: str
    config_id: str | None


def stored_result(visitor: Visitor, result_id: str) -> StoredResult:
    caller = visitor.caller
    try:
        with unit_of_work(caller) as db:
            row = load_scoped(db, Result, caller, result_id, "result")
            if row.state == "expired":
                raise ActionRefused(410, "expired", "This result has expired.", {})
            return StoredResult(
                row.id,
                row.identifier,
                row.type,
                row.size,
                row.storage,
                row.location,
                row.storage_config_id,
            )
    except ApiError as exc:
        raise ActionRefused(exc.status, exc.error, exc.message, exc.params) from exc


def stream(visitor: Visitor, result: StoredResult) -> Iterator[bytes]:
    return open_for_read(visitor.caller.settings, result.storage, result.location, result.config_id)


def json_items(visitor: Visitor, result: StoredResult) -> list[dict[str, Any]] | None:
    """The items of a JSON result, or None when it is too large to render."""
    if result.type != "json" or result.size > MAX_RENDERED_BYTES:
        return None
    data: Any = json.loads(b"".join(stream(visitor, result)))
    items = data.get("data") if isinstance(data, dict) else None
    return [i for i in items if isinstance(i, dict)] if isinstance(items, list) else []
