"""Info types: one JSON document each about the account behind a session.

- ``icloud.account.info``: the Apple ID's profile (from accountLogin/validate).
- ``icloud.account.devices``: devices signed in to the account (account service).
- ``icloud.account.storage``: iCloud storage usage (account service ``storageUsageInfo``).
- ``icloud.account.data_types``: which data types the account's services offer.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from cloudtap.icloud import errors
from cloudtap.icloud.auth import signin
from cloudtap.icloud.client.apple import AppleClient
from cloudtap.icloud.connector import JSONDict
from cloudtap.icloud.replies import json_body, raise_for_common

# The storage meter's category for iCloud Drive (pyicloud ACCOUNT_STORAGE_WORKING: "docs",
# "Documents").
DRIVE_MEDIA_KEY = "docs"

# Which webservice each data type needs (the account must advertise it).
_SERVICE_OF_DATA_TYPE = {
    "icpl.photos": "ckdatabasews",
    "icpl.albums": "ckdatabasews",
    "mme_contacts.contacts": "contacts",
    "mme_calendar.events": "calendar",
    "mme_notes.notes": "ckdatabasews",
    "callkit.calls": "ckdatabasews",
    "cloudkit_safari.history": "ckdatabasews",
    "cloudkit_reminders.reminders": "ckdatabasews",
    "fmip.devices": "findme",
    "icloud_drive.files": "drivews",
}


async def account_info(client: AppleClient) -> JSONDict:
    web = await signin.validate(client)
    if web is None:
        await signin.refresh_web_session(client)
    session = client.session
    info = session.account
    return {
        "id": session.dsid,
        "data_type": "icloud.account.info",
        "apple_id": info.get("appleId") or session.apple_id,
        "full_name": info.get("fullName"),
        "first_name": info.get("firstName"),
        "last_name": info.get("lastName"),
        "primary_email": info.get("primaryEmail"),
        "country": info.get("countryCode") or session.account_country,
        "language": info.get("languageCode"),
        "two_factor": {1: "2sv", 2: "2fa"}.get(_int(info.get("hsaVersion")), "none"),
        "managed_apple_id": bool(info.get("isManagedAppleID")),
        "china_mainland": session.china,
    }


async def devices(client: AppleClient) -> JSONDict:
    root = client.session.service_url("account")
    if not root:
        raise errors.ServiceDisabled("the account service is not available")
    response = await client.service("GET", f"{root.rstrip('/')}/setup/web/device/getDevices")
    raise_for_common(response)
    body = json_body(response)
    found = body.get("devices") if isinstance(body, dict) else None
    return {
        "data_type": "icloud.account.devices",
        "devices": [
            {
                "name": d.get("name"),
                "model": d.get("model"),
                "model_name": d.get("modelDisplayName"),
                "serial_number": d.get("serialNumber"),
                "os_version": _os_version(d.get("osVersion")),
                "udid": d.get("udid"),
            }
            for d in found or []
            if isinstance(d, dict)
        ],
    }


async def storage(client: AppleClient) -> JSONDict:
    # Served by the account service host (as icloud.com's web app calls it), not setup.
    root = client.session.service_url("account")
    if not root:
        raise errors.ServiceDisabled("the account service is not available")
    response = await client.service("POST", f"{root.rstrip('/')}/setup/ws/1/storageUsageInfo")
    raise_for_common(response)
    body = json_body(response)
    if response.status_code >= 400 or not isinstance(body, dict):
        raise errors.ServiceDisabled("storage usage is not available for this account")
    usage = body.get("storageUsageInfo") if isinstance(body.get("storageUsageInfo"), dict) else {}
    assert isinstance(usage, dict)
    total, used = usage.get("totalStorageInBytes"), usage.get("usedStorageInBytes")
    available = usage.get("availableStorageInBytes")
    if available is None and isinstance(total, int) and isinstance(used, int):
        # Apple's reply (pyicloud ACCOUNT_STORAGE_WORKING) states only total and used.
        available = max(total - used, 0)
    media = [m for m in body.get("storageUsageByMedia") or [] if isinstance(m, dict)]
    documents = next((m for m in media if m.get("mediaKey") == DRIVE_MEDIA_KEY), None)
    return {
        "data_type": "icloud.account.storage",
        "total_bytes": total,
        "used_bytes": used,
        "available_bytes": available,
        # Apple's "Documents" meter (mediaKey "docs"): iCloud Drive and apps' documents;
        # null when Apple gives none.
        "drive_used_bytes": documents.get("usageInBytes") if documents else None,
        "by_category": [
            {
                "name": m.get("displayLabel") or m.get("mediaKey"),
                "used_bytes": m.get("usageInBytes"),
            }
            for m in media
        ],
    }


def available_data_types(client: AppleClient, implemented: list[str]) -> JSONDict:
    services = client.session.webservices
    return {
        "data_type": "icloud.account.data_types",
        "data_types": [
            {
                "id": data_type,
                "available": service in services and data_type in implemented,
            }
            for data_type, service in sorted(_SERVICE_OF_DATA_TYPE.items())
        ],
    }


def _os_version(value: Any) -> Any:
    """Apple writes ``"iOS;13.3"`` / ``"OSX;10.15.3"``; publish ``"iOS 13.3"``."""
    return value.replace(";", " ", 1) if isinstance(value, str) else value


def _int(value: Any) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return 0


InfoFetcher = Callable[[AppleClient], Awaitable[JSONDict]]

INFO_TYPES: dict[str, InfoFetcher] = {
    "icloud.account.info": account_info,
    "icloud.account.devices": devices,
    "icloud.account.storage": storage,
}
DATA_TYPES_INFO = "icloud.account.data_types"
