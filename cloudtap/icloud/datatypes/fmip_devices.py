"""Data type ``fmip.devices``: Find My devices in the seed's ``fmip.device`` schema.

The seed's fields: ``id``, ``data_type``, ``name``, ``model_name``, ``model_identifier``,
``product_type``, ``location`` (or null) and ``battery_status``/``battery_level``. Added
(docs/data-types.md): ``owner`` (null for the account's own devices, else the family
member), ``low_power_mode``, ``lost_mode_enabled`` and ``location.is_old``. The first
poll asks the devices to report; a second poll 10-30 s later returns fresh locations.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

from cloudtap.icloud.client.apple import AppleClient
from cloudtap.icloud.connector import Filters, JSONDict
from cloudtap.icloud.datatypes.common import as_float, iso_from_ms, stable_id
from cloudtap.icloud.datatypes.stream import CursorSink
from cloudtap.icloud.services import findmy

DATA_TYPE = "fmip.devices"
ITEM_TYPE = "fmip.device"


def location(raw: Any) -> JSONDict | None:
    if not isinstance(raw, dict) or raw.get("latitude") is None:
        return None
    return {
        "data_type": "location",
        "latitude": as_float(raw.get("latitude")),
        "longitude": as_float(raw.get("longitude")),
        "altitude": as_float(raw.get("altitude")) or 0.0,
        "horizontal_accuracy": as_float(raw.get("horizontalAccuracy")),
        "vertical_accuracy": as_float(raw.get("verticalAccuracy")) or 0.0,
        "positioning_type": raw.get("positionType"),
        "date_created": iso_from_ms(raw.get("timeStamp")),
        # A fix from an earlier locate, shown while the devices report again.
        "is_old": raw.get("isOld") is True,
    }


def owner(device: dict[str, Any], members: dict[str, dict[str, Any]]) -> JSONDict | None:
    """The family member a device belongs to; null for the account holder's own."""
    prs_id = device.get("prsId")
    if prs_id is None or prs_id == "":
        return None
    member = members.get(str(prs_id), {})
    return {
        "id": str(prs_id),
        "first_name": member.get("firstName"),
        "last_name": member.get("lastName"),
        "apple_id": member.get("appleId"),
    }


def to_item(device: dict[str, Any], members: dict[str, dict[str, Any]] | None = None) -> JSONDict:
    return {
        "id": stable_id("fmip", device.get("id")),
        "data_type": ITEM_TYPE,
        "name": device.get("name"),
        "model_name": device.get("deviceDisplayName"),
        "model_identifier": device.get("rawDeviceModel"),
        "product_type": device.get("deviceClass"),
        "location": location(device.get("location")),
        "battery_status": device.get("batteryStatus") or "Unknown",
        "battery_level": as_float(device.get("batteryLevel")) or 0.0,
        "low_power_mode": device.get("lowPowerMode") is True,
        "lost_mode_enabled": device.get("lostModeEnabled") is True,
        "owner": owner(device, members or {}),
    }


async def fetch(
    client: AppleClient, filters: Filters, set_cursor: CursorSink
) -> AsyncIterator[JSONDict]:
    reply = await findmy.devices(client)
    for device in reply.devices:
        yield to_item(device, reply.members)
