"""CPLMaster / CPLAsset records of a generated asset, shaped like the captured ones."""

from __future__ import annotations

import base64
import hashlib
import plistlib
import struct
from collections.abc import Callable

from cloudtap.sandbox.cloudkit import envelope
from cloudtap.sandbox.cloudkit.container import Record, Zone
from cloudtap.sandbox.photos.generator import AssetSpec
from cloudtap.sandbox.photos.resources import ResourceSpec

JsonDict = dict[str, object]
UrlFor = Callable[[AssetSpec, ResourceSpec], str]

# Apple sends a RAW+JPEG partner with only its Res and FileType (see the raw_alt capture).
ALT_ONLY_TYPE = frozenset({"resOriginalAlt"})


def checksum(*parts: object) -> str:
    """An Apple-shaped 28-character checksum (base64 of 0x01 + 20 bytes)."""
    digest = hashlib.blake2b(repr(parts).encode(), digest_size=20).digest()
    return base64.b64encode(b"\x01" + digest).decode()


def resource_fields(spec: AssetSpec, res: ResourceSpec, url_for: UrlFor) -> JsonDict:
    file_checksum = checksum("file", spec.seed, spec.zone, spec.index, res.prefix)
    token = {
        "fileChecksum": file_checksum,
        "size": res.size,
        "wrappingKey": base64.b64encode(hashlib.md5(file_checksum.encode()).digest()).decode(),
        "referenceChecksum": checksum("ref", spec.seed, spec.zone, spec.index, res.prefix),
        "downloadURL": url_for(spec, res),
    }
    fields: JsonDict = {
        f"{res.field}Res": envelope.field(token, "ASSETID"),
        f"{res.field}FileType": envelope.str_field(res.uti),
    }
    if res.field in ALT_ONLY_TYPE:
        return fields
    return {
        **fields,
        f"{res.field}Width": envelope.int_field(res.width),
        f"{res.field}Height": envelope.int_field(res.height),
        f"{res.field}Fingerprint": envelope.str_field(file_checksum),
    }


def _b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def master_record(spec: AssetSpec, zone: Zone, url_for: UrlFor, deleted: bool = False) -> Record:
    original = spec.resource("resOriginal")
    fields: JsonDict = {
        "itemType": envelope.str_field(original.uti if original else "public.jpeg"),
        "filenameEnc": envelope.enc_field(_b64(spec.filename)),
        "originalOrientation": envelope.int_field(1),
        "dataClassType": envelope.int_field(2 if spec.kind == "video" else 1),
    }
    for res in spec.master_resources:
        fields.update(resource_fields(spec, res, url_for))
    if deleted:
        # In Recently Deleted the master is marked too, with its asset's clocks and no
        # isExpunged; its modification time stays (icloudpd autodelete_photos.yml and
        # download_autodelete_photos_part2.yml).
        fields["isDeleted"] = envelope.int_field(1)
        fields["dateExpunged"] = envelope.ts_field(_deleted_ms(spec) + EXPUNGED_AFTER_MS)
    record = envelope.record(
        name=spec.master_name,
        record_type="CPLMaster",
        fields=fields,
        zone=zone,
        created_ms=spec.added_date_ms,
    )
    if deleted:
        record["expirationTime"] = (_deleted_ms(spec) + EXPIRES_AFTER_MS) // 1000
    return record


_LOCATION_CONSTANTS = {"alt": 12.5, "speed": 0.0, "course": 0.0, "horzAcc": 5.0, "vertAcc": 3.0}
# Placeholders no real location or constant can equal, to find where the values sit.
_MARKS = {"lat": -1.0e300, "lon": -2.0e300, "timestamp": -3.0e300}


def _location_plist(lat: float, lon: float, timestamp: float) -> bytes:
    plist = {"lat": lat, "lon": lon, **_LOCATION_CONSTANTS, "timestamp": timestamp}
    plist = {k: plist[k] for k in ("lat", "lon", *_LOCATION_CONSTANTS, "timestamp")}
    return plistlib.dumps(plist, fmt=plistlib.FMT_BINARY)


def _location_template() -> tuple[bytes, dict[str, int]]:
    """plistlib's bytes for one location, and the offset of each varying double in it.

    Encoding through plistlib per asset was a tenth of a listing page's cost; a binary
    plist of the same shape only differs in those three 8-byte big-endian doubles.
    """
    template = _location_plist(*_MARKS.values())
    offsets = {k: template.index(struct.pack(">d", v)) for k, v in _MARKS.items()}
    return template, offsets


_TEMPLATE, _OFFSETS = _location_template()


def _location(spec: AssetSpec) -> str:
    values = {
        "lat": spec.latitude,
        "lon": spec.longitude,
        "timestamp": spec.asset_date_ms / 1000 - 978_307_200,
    }
    constants = set(_LOCATION_CONSTANTS.values())
    if len({*values.values(), *constants}) < len(values) + len(constants):
        data = _location_plist(**values)  # equal values share one object: another layout
    else:
        buffer = bytearray(_TEMPLATE)
        for key, value in values.items():
            buffer[_OFFSETS[key] : _OFFSETS[key] + 8] = struct.pack(">d", value)
        data = bytes(buffer)
    return base64.b64encode(data).decode()


# A deleted asset's clocks, from its modification time: dateExpunged 30 days on,
# expirationTime (seconds) 40 days on. Two captures agree: icloudpd
# download_autodelete_photos_part1.yml and pyicloud photo_delete_response.json.
EXPUNGED_AFTER_MS = 30 * 86_400_000
EXPIRES_AFTER_MS = 40 * 86_400_000


def _deleted_ms(spec: AssetSpec) -> int:
    """When a deleted asset was deleted: its modification time (the sandbox's: added + 1)."""
    return spec.added_date_ms + 1


# The zone an asset's timeZoneOffset was taken in, base64 of its IANA name as Apple sends it
# ("Asia/Taipei" beside offset 28800 in icloudpd listing_photos.yml; pyicloud's
# photo_delete_response.json). Zones without daylight saving, so the name and the
# generator's offsets agree on every date.
TIME_ZONES = {
    0: "Atlantic/Reykjavik",
    3600: "Africa/Lagos",
    -18000: "America/Bogota",
    19800: "Asia/Kolkata",
    32400: "Asia/Tokyo",
}


def asset_record(spec: AssetSpec, zone: Zone, url_for: UrlFor, deleted: bool = False) -> Record:
    live = spec.kind == "live"
    fields: JsonDict = {
        "assetDate": envelope.ts_field(spec.asset_date_ms),
        "addedDate": envelope.ts_field(spec.added_date_ms),
        "orientation": envelope.int_field(1),
        "assetSubtype": envelope.int_field(0),
        "assetSubtypeV2": envelope.int_field(2 if live else 0),
        "assetHDRType": envelope.int_field(0),
        "timeZoneOffset": envelope.int_field(spec.tz_offset_s),
        "timeZoneNameEnc": envelope.enc_field(_b64(TIME_ZONES[spec.tz_offset_s])),
        "masterRef": envelope.field(
            {
                "recordName": spec.master_name,
                "action": "DELETE_SELF",
                # zoneType as in the 2023 captures and pyicloud/icloudpy's fixtures.
                "zoneID": envelope.zone_id(zone),
            },
            "REFERENCE",
        ),
        "locationEnc": envelope.enc_field(_location(spec)),
        "adjustmentRenderType": envelope.int_field(0),
        "isHidden": envelope.int_field(int(spec.hidden)),
        "isFavorite": envelope.int_field(int(spec.favorite)),
        "duration": envelope.int_field(3 if spec.kind == "video" else 0),
        "burstFlags": envelope.int_field(0),
        "customRenderedValue": envelope.int_field(0),
        "vidComplDurValue": envelope.int_field(2_500_000_000 if live else 0),
        "vidComplDurScale": envelope.int_field(1_000_000_000 if live else 0),
        "vidComplDispValue": envelope.int_field(1_200_000_000 if live else 0),
        "vidComplDispScale": envelope.int_field(1_000_000_000 if live else 0),
        "vidComplVisibilityState": envelope.int_field(0),
    }
    for res in spec.asset_resources:
        fields.update(resource_fields(spec, res, url_for))
    if spec.kind == "edited":
        fields["adjustmentType"] = envelope.str_field("com.apple.photo")
    modified_ms = _deleted_ms(spec) if deleted else spec.added_date_ms
    if deleted:
        fields["isDeleted"] = envelope.int_field(1)
        fields["dateExpunged"] = envelope.ts_field(modified_ms + EXPUNGED_AFTER_MS)
        fields["isExpunged"] = envelope.int_field(0)  # icloudpd autodelete_photos.yml
    record = envelope.record(
        name=spec.asset_name,
        record_type="CPLAsset",
        fields=fields,
        zone=zone,
        created_ms=spec.added_date_ms,
        modified_ms=modified_ms,
    )
    if deleted:
        record["expirationTime"] = (modified_ms + EXPIRES_AFTER_MS) // 1000
    return record
