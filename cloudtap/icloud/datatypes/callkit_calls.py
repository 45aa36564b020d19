"""Data type ``callkit.calls``: call history synced by CallKit
(CloudKit ``com.apple.callhistory.sync-helper``, zone ``CallHistory``).

Each item: ``address`` (number or e-mail), ``address_type``, ``name`` if known,
``direction`` (``incoming``/``outgoing``), ``answered``, ``duration`` (seconds),
``service`` (``phone``, ``facetime_audio``, ``facetime_video`` or the third-party app's
bundle id) and ``date``. ``since``/``until`` filter on ``date``.

Errors, as the seed describes them: ``callkit-uninitialised`` (the container has no
call history zone) and ``callkit-sync-disabled`` (the zone's sync state says off).
No public client reads this container; the record shape is the sandbox's documented one.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

from cloudtap.icloud import errors
from cloudtap.icloud.client.apple import AppleClient
from cloudtap.icloud.connector import Filters, JSONDict
from cloudtap.icloud.datatypes.common import cursor_token, iso_from_ms, stable_id
from cloudtap.icloud.datatypes.stream import CursorSink, removed
from cloudtap.icloud.services.cloudkit import (
    CloudKitDatabase,
    Record,
    decoded_text,
    field_value,
    zone_changes,
)

DATA_TYPE = "callkit.calls"
ITEM_TYPE = "callkit.call"
CONTAINER = "com.apple.callhistory.sync-helper"
ZONE = {"zoneName": "CallHistory"}
CURSOR_KEY = "private/CallHistory"
# CallHistory's call types: 1 phone, 8 FaceTime video, 16 FaceTime audio, 0 a third-party
# app (iLEAPP's reading of CallHistory.storedata's ZCALLTYPE; see docs/apple-evidence.md).
_APPLE_SERVICES = {
    ("com.apple.Telephony", 1): "phone",
    ("com.apple.FaceTime", 8): "facetime_video",
    ("com.apple.FaceTime", 16): "facetime_audio",
}


def service_name(provider: Any, call_type: Any) -> str:
    try:
        kind = int(call_type)
    except (TypeError, ValueError):
        kind = 0
    provider = str(provider or "")
    return _APPLE_SERVICES.get((provider, kind)) or (
        "phone" if provider == "com.apple.Telephony" else provider or "unknown"
    )


def to_item(record: Record) -> JSONDict:
    duration = field_value(record, "duration")
    return {
        "id": stable_id("call", record.get("recordName")),
        "data_type": ITEM_TYPE,
        "address": decoded_text(record, "address"),
        "address_type": "email" if field_value(record, "handleType") == 3 else "phone",
        "name": decoded_text(record, "name"),
        "direction": "outgoing" if field_value(record, "originated") else "incoming",
        "answered": bool(field_value(record, "answered")),
        "duration": float(duration) if isinstance(duration, (int, float)) else 0.0,
        "service": service_name(
            field_value(record, "serviceProvider"), field_value(record, "callType")
        ),
        "country": field_value(record, "isoCountryCode"),
        "date": iso_from_ms(field_value(record, "date")),
    }


async def check_sync_state(database: CloudKitDatabase) -> None:
    try:
        reply = await database.query("CallHistorySyncState", ZONE)
    except errors.ServiceDisabled as exc:
        raise errors.CallkitUninitialised(
            "CallKit has not been set up for this account (see the troubleshooting guide)"
        ) from exc
    records = reply.get("records") or []
    if records and not field_value(records[0], "syncEnabled"):
        raise errors.CallkitSyncDisabled(
            "CallKit is set up but the devices do not sync call history yet"
        )


def _date(record: Record) -> datetime | None:
    try:
        return datetime.fromtimestamp(int(field_value(record, "date")) / 1000, UTC)
    except (TypeError, ValueError, OverflowError, OSError):
        return None


def _keep(record: Record, filters: Filters) -> bool:
    return filters.admit(_date(record))


async def fetch(
    client: AppleClient, filters: Filters, set_cursor: CursorSink
) -> AsyncIterator[JSONDict]:
    database = CloudKitDatabase(client, CONTAINER, "private")
    await check_sync_state(database)
    token = cursor_token(filters.cursor, CURSOR_KEY)
    incremental = token is not None
    async for records, page_token in zone_changes(database, ZONE, token, ["CallRecord"]):
        token = page_token
        for record in records:
            if incremental and record.get("deleted") is True:  # a tombstone
                yield removed(stable_id("call", record.get("recordName")))
                continue
            wanted = record.get("recordType") == "CallRecord" and not record.get("deleted")
            if wanted and _keep(record, filters):
                yield to_item(record)
    if token:
        set_cursor({"zones": {CURSOR_KEY: token}})
