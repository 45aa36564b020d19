"""``result`` objects."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from cloudtap.store.ids import isoformat
from cloudtap.store.models import Result

# Makes a result's ``signed_url`` ({url, date_expires}) or None. Links are bound to the
# request's base URL, so only the API has one; event payloads carry none.
Signer = Callable[[Result], dict[str, Any] | None]


def serialize_result(row: Result, sign: Signer | None = None) -> dict[str, Any]:
    signed = sign(row) if sign is not None and row.state == "available" else None
    return {
        "id": row.id,
        "resource": "result",
        "organisation": row.organisation_id,
        "poll": row.poll_id,
        "task": row.task_id,
        "identifier": row.identifier,
        "type": row.type,
        "url": row.url,
        "signed_url": signed,
        "size": row.size,
        "checksum": row.checksum,
        "state": row.state,
        "date_created": isoformat(row.date_created),
        "date_expires": isoformat(row.date_expires),
    }
