"""Data type ``cloudkit_safari.history``: Safari history synced through CloudKit
(``com.apple.SafariShared.WBSCloudHistoryStore``, zone ``History``).

Each item: ``url``, ``title``, ``date`` of the visit, ``visit_count``, ``device`` that
made it and ``load_successful``. ``since``/``until`` filter on ``date``. No public
client reads this container; the record shape is the sandbox's documented one.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime

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

DATA_TYPE = "cloudkit_safari.history"
ITEM_TYPE = "cloudkit_safari.history_visit"
CONTAINER = "com.apple.SafariShared.WBSCloudHistoryStore"
ZONE = {"zoneName": "History"}
CURSOR_KEY = "private/History"


def to_item(record: Record) -> JSONDict:
    count = field_value(record, "visitCount")
    return {
        "id": stable_id("visit", record.get("recordName")),
        "data_type": ITEM_TYPE,
        "url": decoded_text(record, "url"),
        "title": decoded_text(record, "title"),
        "date": iso_from_ms(field_value(record, "visitTime")),
        "visit_count": int(count) if isinstance(count, int) else None,
        "device": decoded_text(record, "deviceName"),
        "load_successful": bool(field_value(record, "loadSuccessful")),
    }


def _keep(record: Record, filters: Filters) -> bool:
    try:
        moment = datetime.fromtimestamp(int(field_value(record, "visitTime")) / 1000, UTC)
    except (TypeError, ValueError, OverflowError, OSError):
        moment = None
    return filters.admit(moment)


async def fetch(
    client: AppleClient, filters: Filters, set_cursor: CursorSink
) -> AsyncIterator[JSONDict]:
    database = CloudKitDatabase(client, CONTAINER, "private")
    token = cursor_token(filters.cursor, CURSOR_KEY)
    incremental = token is not None
    try:
        async for records, page_token in zone_changes(database, ZONE, token, ["HistoryVisit"]):
            token = page_token
            for record in records:
                if incremental and record.get("deleted") is True:  # a tombstone
                    yield removed(stable_id("visit", record.get("recordName")))
                    continue
                wanted = record.get("recordType") == "HistoryVisit" and not record.get("deleted")
                if wanted and _keep(record, filters):
                    yield to_item(record)
    except errors.ServiceDisabled as exc:
        raise errors.ServiceDisabled("Safari history is not synced for this account") from exc
    if token:
        set_cursor({"zones": {CURSOR_KEY: token}})
