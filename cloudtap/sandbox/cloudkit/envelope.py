"""CloudKit's JSON record envelope: typed fields, zone ids, audit stamps, error bodies.

Every container builds records through these helpers so they all carry the keys real
CloudKit sends (``pluginFields``, ``recordChangeTag``, ``created``/``modified``,
``deleted``, ``zoneID``), which clients' strict models rely on.
"""

from __future__ import annotations

import hashlib
import uuid
from typing import Any

from cloudtap.sandbox.cloudkit.container import Record, Zone

JsonDict = dict[str, Any]


def field(value: Any, type_: str) -> JsonDict:
    return {"value": value, "type": type_}


def int_field(value: int) -> JsonDict:
    return field(int(value), "INT64")


def str_field(value: str) -> JsonDict:
    return field(value, "STRING")


def ts_field(millis: int) -> JsonDict:
    return field(int(millis), "TIMESTAMP")


def enc_field(base64_text: str) -> JsonDict:
    return field(base64_text, "ENCRYPTED_BYTES")


def zone_id(zone: Zone, with_type: bool = True) -> JsonDict:
    out: JsonDict = {"zoneName": zone.name, "ownerRecordName": zone.owner}
    if with_type:
        out["zoneType"] = zone.zone_type
    return out


def audit(millis: int, user: str, device: str = "1") -> JsonDict:
    return {"timestamp": int(millis), "userRecordName": user, "deviceID": device}


def change_tag(*parts: object) -> str:
    """A short, stable tag like Apple's ``"49lh"``: it changes only when the inputs do."""
    digest = hashlib.blake2b(repr(parts).encode(), digest_size=4).digest()
    return format(int.from_bytes(digest, "big") % (36**4), "x")[:4].rjust(4, "0")


def record(
    *,
    name: str,
    record_type: str,
    fields: JsonDict,
    zone: Zone,
    created_ms: int,
    modified_ms: int | None = None,
    user: str | None = None,
    tag: str | None = None,
) -> Record:
    owner = user or zone.owner
    return {
        "recordName": name,
        "recordType": record_type,
        "fields": fields,
        "pluginFields": {},
        "recordChangeTag": tag or change_tag(name, modified_ms or created_ms),
        "created": audit(created_ms, owner),
        "modified": audit(modified_ms or created_ms, owner),
        "deleted": False,
        # zoneType as in the 2023 captures (icloudpd download_autodelete_photos_*.yml) and
        # pyicloud's fixtures; older captures omit it, and no client needs it absent.
        "zoneID": zone_id(zone),
    }


def tombstone(name: str, zone: Zone) -> Record:
    # zoneType as on live records (pyicloud photos_zone_changes_response.json's tombstone).
    return {"recordName": name, "deleted": True, "zoneID": zone_id(zone)}


def error_body(server_error_code: str, reason: str) -> JsonDict:
    """CloudKit's error reply; ``uuid`` names the request like Apple's do."""
    return {"uuid": str(uuid.uuid4()), "serverErrorCode": server_error_code, "reason": reason}


def record_error(name: str, server_error_code: str, reason: str) -> JsonDict:
    """A per-record failure, returned inside ``records[]`` (lookup/modify)."""
    return {"recordName": name, "serverErrorCode": server_error_code, "reason": reason}
