"""Redaction of one JSON document (a request or reply body): keys, types and structure
kept; secrets replaced by ``REDACTED-<length>``; personal values by pseudonyms.

By default every string is personal: only enumerations and the keys listed in
``KEPT_KEYS`` keep their values. Numbers are kept unless they are dates (shifted by the
capture's one offset), coordinates (generated) or account numbers (pseudonyms).
"""

from __future__ import annotations

import base64
import binascii
import json
import re
import unicodedata
from datetime import datetime, timedelta
from typing import Any

from cloudtap.capture.pseudonyms import Pseudonyms
from cloudtap.capture.redact_document import redact_document
from cloudtap.capture.redact_note import redact_note_body
from cloudtap.capture.redact_plist import redact_date_components
from cloudtap.capture.redact_url import APPLE_HOSTS, redact_url

# Values that are protocol, not person: kept as they are.
KEPT_KEYS = frozenset(
    {
        "recordType",
        "zoneName",
        "zoneType",
        "type",
        "Type",  # Reminders' AlarmTrigger Type (Date, Location): an enumeration
        "itemType",
        "comparator",
        "fieldName",
        "desiredKeys",
        "desiredRecordTypes",
        "serverErrorCode",
        "errorCode",
        "reason",
        "state",
        "status",
        "action",
        "databaseScope",
        "operationType",
        "direction",
        "locale",
        "languageCode",
        "countryCode",
        "timeZone",
        "tz",
        "apiVersion",
        "deviceClass",
        "rawDeviceModel",
        "deviceModel",
        "modelDisplayName",
        "deviceDisplayName",
        "batteryStatus",
        "authType",
        "hsaVersion",
        "mode",
        "pushMode",
        "kind",
        "appsOrder",
        "vipSuffix",
        "shortId",
        "country",
        "region",
        "ckSymbolicColorName",
        "freq",  # a recurrence's frequency: an enumeration
        "frequency",
        "extension",  # a file's extension says its type (file names keep it too)
    }
)
SECRET_KEYS = frozenset(
    {
        "password",
        "sessionToken",
        "session_token",
        "dsWebAuthToken",
        "trustToken",
        "trustTokens",
        "token",
        "accessToken",
        "authToken",
        "securityCode",
        "code",
        "salt",
        "a",
        "b",
        "c",
        "m1",
        "m2",
        "wrappingKey",
        "fileChecksum",
        "referenceChecksum",
        "apple_pwd",
        "pcsToken",
        "webservicesToken",
    }
)
URL_KEYS = frozenset({"downloadURL", "url", "URL", "photoUrl", "imageUrl", "thumbnailUrl"})
ACCOUNT_NUMBER_KEYS = frozenset({"dsid", "prsId", "personId", "dsPrsId"})
COORDINATE_KEYS = frozenset(
    {"latitude", "longitude", "lat", "lng", "lon", "altitude", "horizontalAccuracy"}
)
# Keys whose string values are Drive paths (folders/name.extension).
PATH_KEYS = frozenset({"restorePath"})
# Keys whose string values are file names (their extension kept).
FILENAME_KEYS = frozenset(
    {"filename", "fileName", "Filename", "name_with_extension", "filenameEnc"}
)
_MIN_NEEDLE_CHARS = 6
_NOT_TEXT = frozenset({"Cc", "Cn", "Co", "Cs"})
# CloudKit fields holding a note's protobuf body (redacted inside, see redact_note).
NOTE_BODY_KEYS = frozenset({"TextDataEncrypted"})
# CloudKit fields holding a Reminders CRDT document (see redact_document).
DOCUMENT_KEYS = frozenset({"TitleDocument", "NotesDocument"})
# CloudKit fields holding an archived NSDateComponents (see redact_plist).
DATE_COMPONENTS_KEYS = frozenset({"DateComponentsData"})
# A colour (Reminders' lists): a display choice, not a person.
_COLOUR = re.compile(r"^#[0-9A-Fa-f]{6}([0-9A-Fa-f]{2})?$")
# ALL-CAPS words joined by "_" or "-", digits only at the end: ACCESS_DENIED,
# NEEDS-ACTION, INT64 (never an upper-case uuid, whose digits sit inside).
_ENUM = re.compile(r"^[A-Z][A-Z_-]{0,47}[A-Z0-9]{1,8}$")
# An IANA time zone (America/Los_Angeles): a region, not a person.
_TIME_ZONE = re.compile(
    r"^(Africa|America|Antarctica|Asia|Atlantic|Australia|Europe|Indian|Pacific|Etc)/[A-Za-z_+-]+(/[A-Za-z_]+)?$|^(UTC|GMT)$"
)
# A record name that starts with its record type (Reminders' "Alarm/<uuid>"): clients
# build such names from the type, so the type stays and the id is redacted.
_TYPED_NAME = re.compile(r"^(?P<kind>[A-Z][A-Za-z]{1,40})/(?P<ident>[0-9A-Fa-f-]{8,})$")
# Protocol words clients send as they are (iCloud Drive's root folder is "root").
_PROTOCOL_WORDS = frozenset({"root"})
# Composite ids ("<uuid>:<e-mail>", "<uuid>*<date>"): each part redacted by itself.
_COMPOSITE = re.compile(r"([:*])")
_UTI = re.compile(r"^(public|com|org|net|dyn)\.[A-Za-z0-9.-]+$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[A-Za-z]{2,}$")
_ISO = re.compile(r"^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?$")
_DATE_KEY = re.compile(r"(date|Date|timestamp|Timestamp|At|Time)$")
# Epoch milliseconds and seconds between 1995 and 2100.
_MS_RANGE, _S_RANGE = (788_918_400_000, 4_102_444_800_000), (788_918_400, 4_102_444_800)


class JsonRedactor:
    def __init__(self, names: Pseudonyms) -> None:
        self.names = names

    def document(self, value: Any) -> Any:
        return self._value(value, key="", field_name="")

    def _value(self, value: Any, key: str, field_name: str) -> Any:
        if isinstance(value, dict):
            return self._object(value, key, field_name)
        if isinstance(value, list):
            return self._list(value, key, field_name)
        if isinstance(value, bool) or value is None:
            return value
        if isinstance(value, int | float):
            return self._number(value, key, field_name)
        if isinstance(value, str):
            return self.string(value, key, field_name)
        return value

    def _object(self, value: dict[str, Any], key: str, field_name: str) -> dict[str, Any]:
        # A CloudKit field: {"value": ..., "type": ...}; its name (the key above) decides.
        if "value" in value and isinstance(value.get("type"), str) and key not in ("", "fields"):
            return self._cloudkit_field(value, key)
        if key == "fields":  # keys of "fields" are field names
            return {name: self._value(v, name, name) for name, v in value.items()}
        return {self._key(k): self._value(v, k, field_name) for k, v in value.items()}

    def _key(self, key: str) -> str:
        """Keys are kept, unless a key is itself a person (Find My's members by DSID)."""
        if len(key) >= 6 and key.isdigit():
            return self.names.shaped(key, "account number")
        if _EMAIL.match(key):
            return self.names.email(key)
        return key

    def _list(self, value: list[Any], key: str, field_name: str) -> list[Any]:
        if _DATE_KEY.search(key) and _is_calendar_date(value):
            return self._calendar_date(value)
        return [self._value(v, key, field_name) for v in value]

    def _cloudkit_field(self, value: dict[str, Any], name: str) -> dict[str, Any]:
        kind = value["type"]
        out = dict(value)
        inner = value["value"]
        if name in NOTE_BODY_KEYS and isinstance(inner, str):
            out["value"] = self._note_body(inner, name)
        elif name in DOCUMENT_KEYS and isinstance(inner, str):
            out["value"] = self._document(inner, name)
        elif name in DATE_COMPONENTS_KEYS and isinstance(inner, str):
            out["value"] = self._date_components(inner, name)
        elif kind in ("ENCRYPTED_BYTES", "BYTES") and isinstance(inner, str):
            out["value"] = self._encoded(inner, name)
        elif kind == "TIMESTAMP" and isinstance(inner, int | float):
            out["value"] = self._shift(inner)
        elif kind in ("STRING", "STRING_LIST") and name.endswith("FileType"):
            out["value"] = inner  # a UTI
        else:
            out["value"] = self._value(inner, name, name)
        return out

    def _encoded(self, text: str, name: str) -> str:
        """Base64 of text (a file or album name): its text redacted; of binary (an
        encrypted location, a plist): generated bytes of the same length."""
        try:
            data = base64.b64decode(text, validate=True)
        except (binascii.Error, ValueError):
            return self.string(text, name, name)
        try:
            decoded = data.decode("utf-8")
        except UnicodeDecodeError:
            decoded = None
        personal = True
        if decoded is not None and _is_text(decoded):
            replaced = (
                self.names.filename(decoded) if name in FILENAME_KEYS else self.lines(decoded, name)
            )
            made = base64.b64encode(replaced.encode()).decode()
            # The base64 of a short text (" = 39") is found by chance inside the base64
            # of other, redacted texts: only a text of some length is worth a scan needle.
            personal = sum(char.isalnum() for char in decoded) >= _MIN_NEEDLE_CHARS
        else:
            if text not in self.names.mapping:
                self.names.summary["encrypted bytes"] += 1
            made = base64.b64encode(self.names.raw_bytes(data, name)).decode()
            self.names.mapping[text] = made
        self.names.produced.add(made)
        if len(text) >= 8 and personal:
            self.names.originals.add(text)
        return made

    def _note_body(self, text: str, name: str) -> str:
        """A note's protobuf body redacted inside (see ``redact_note``); bytes that are
        no note body are replaced as any other encrypted field."""
        try:
            data = base64.b64decode(text, validate=True)
        except (binascii.Error, ValueError):
            return self._encoded(text, name)
        redacted = redact_note_body(
            data, lambda piece: self.string(piece, name, name), self._identifier
        )
        if redacted is None:
            return self._encoded(text, name)
        self.names.summary["note body"] += 1
        made = base64.b64encode(redacted).decode()
        self.names.produced.add(made)
        self.names.originals.add(text)
        return made

    def _document(self, text: str, name: str) -> str:
        """A Reminders CRDT document redacted inside (see ``redact_document``)."""
        try:
            data = base64.b64decode(text, validate=True)
        except (binascii.Error, ValueError):
            return self._encoded(text, name)
        redacted = redact_document(data, lambda found: self.lines(found, name))
        if redacted is None:
            return self._encoded(text, name)
        self.names.summary["text document"] += 1
        made = base64.b64encode(redacted).decode()
        self.names.produced.add(made)
        self.names.originals.add(text)
        return made

    def _date_components(self, text: str, name: str) -> str:
        """A date alarm's archived components, its day shifted (see ``redact_plist``)."""
        try:
            data = base64.b64decode(text, validate=True)
        except (binascii.Error, ValueError):
            return self._encoded(text, name)
        redacted = redact_date_components(
            data, self.names.shift_days, lambda found: self.string(found, name, name)
        )
        if redacted is None:
            return self._encoded(text, name)
        self.names.summary["date"] += 1
        made = base64.b64encode(redacted).decode()
        self.names.produced.add(made)
        self.names.originals.add(text)
        return made

    def _identifier(self, value: str) -> str:
        return self.string(value, "recordName", "recordName")

    def lines(self, text: str, name: str) -> str:
        """Text of several lines (a table, a note body) redacted line by line, so a line
        maps alike wherever it appears."""
        return "\n".join(
            self.string(line, name, name) if line else line for line in text.split("\n")
        )

    def _number(self, value: float, key: str, field_name: str) -> float:
        if key in COORDINATE_KEYS or field_name in COORDINATE_KEYS:
            self.names.summary["coordinate"] += 1
            made = self.names.shaped(f"{value:.6f}", "coordinate")
            return float(made) if isinstance(value, float) else int(float(made))
        if key in ACCOUNT_NUMBER_KEYS and isinstance(value, int):
            return int(self.names.shaped(str(value), "account number"))
        if _DATE_KEY.search(key) or _DATE_KEY.search(field_name):
            return self._shift(value)
        return value

    def _shift(self, value: float) -> float:
        if isinstance(value, bool):
            return value
        if _MS_RANGE[0] <= value <= _MS_RANGE[1]:
            shifted = value + self.names.shift_ms
        elif _S_RANGE[0] <= value <= _S_RANGE[1]:
            shifted = value + self.names.shift_ms // 1000
        else:
            return value
        self.names.summary["date"] += 1
        return type(value)(shifted)

    def _calendar_date(self, value: list[Any]) -> list[Any]:
        """Apple's calendar arrays ``[20240105, 2024, 1, 5, 10, 30, 630]``, shifted."""
        try:
            day = datetime.strptime(str(value[0]), "%Y%m%d")
        except ValueError:
            return value
        moved = day + timedelta(days=self.names.shift_days)
        out = list(value)
        made = moved.strftime("%Y%m%d")
        out[0] = made if isinstance(value[0], str) else int(made)
        if len(out) >= 4:
            out[1], out[2], out[3] = moved.year, moved.month, moved.day
        self.names.summary["date"] += 1
        return out

    def string(self, value: str, key: str, field_name: str = "") -> str:
        if not value:
            return value
        if key in SECRET_KEYS or field_name in SECRET_KEYS:
            return self.names.secret(value, "secret value")
        if key == "zoneName":
            return self._zone_name(value)
        if (
            key in KEPT_KEYS
            or field_name in KEPT_KEYS
            or _ENUM.match(value)
            or _UTI.match(value)
            or _TIME_ZONE.match(value)
            or APPLE_HOSTS.match(value)  # a service's host name
            or value in _PROTOCOL_WORDS
            or _COLOUR.match(value)
        ):
            self.names.kept.add(value)
            return value
        if value[0] in "{[" and isinstance(nested := _json(value), dict | list):
            # JSON inside a string (a list's Color, its ReminderIDs): redacted as JSON.
            return json.dumps(self._value(nested, key, field_name))
        if key in URL_KEYS or value.startswith(("http://", "https://")):
            # A record field's own value is the person's (a page visited, a link), not
            # a service URL of the protocol; an asset's downloadURL inside it is.
            return self.url(value, content=bool(field_name) and key == field_name)
        if _EMAIL.match(value):
            return self.names.email(value)
        if _ISO.match(value):
            return self._iso(value)
        if value.isdigit() and (_DATE_KEY.search(key) or _DATE_KEY.search(field_name)):
            # Epoch seconds or milliseconds in a string (shared streams' creationDate).
            shifted = self._shift(int(value))
            if shifted != int(value):
                made = str(int(shifted))
                self.names.produced.add(made)
                return made
        if key in FILENAME_KEYS or field_name in FILENAME_KEYS:
            return self.names.filename(value)
        if key in PATH_KEYS:
            return self._path(value)
        if key in ACCOUNT_NUMBER_KEYS:
            return self.names.shaped(value, "account number")
        typed = _TYPED_NAME.match(value)
        if typed:
            made = f"{typed['kind']}/{self.names.shaped(typed['ident'], 'identifier')}"
            self.names.mapping[value] = made
            self.names.produced.add(made)
            return made
        if _COMPOSITE.search(value) and " " not in value:
            return self._composite(value, key)
        if key == "recordName" or key.endswith(("Id", "ID", "Guid", "guid")):
            return self.names.shaped(value, "identifier")
        return self.names.shaped(value, "free text")

    def _path(self, value: str) -> str:
        """A Drive path: each folder as its name is mapped, the file's stem likewise and
        its extension kept, so the path agrees with the names it is joined from."""
        *folders, last = value.split("/")
        stem, dot, extension = last.rpartition(".")
        tail = (
            f"{self.string(stem, 'name')}.{extension}"
            if dot and stem
            else self.string(last, "name")
        )
        made = "/".join([*(self.string(f, "name") if f else f for f in folders), tail])
        self.names.mapping[value] = made
        self.names.produced.add(made)
        return made

    def _composite(self, value: str, key: str) -> str:
        parts = _COMPOSITE.split(value)
        made = "".join(
            part if _COMPOSITE.fullmatch(part) else self.string(part, key) for part in parts
        )
        self.names.mapping[value] = made  # the whole maps alike wherever it appears
        self.names.produced.add(made)
        self.names.originals.add(value)
        return made

    def _zone_name(self, value: str) -> str:
        """``PrimarySync`` is protocol; ``SharedSync-<uuid>`` keeps its kind, not its id."""
        kind, dash, ident = value.partition("-")
        if not dash:
            return value
        made = f"{kind}-{self.names.shaped(ident, 'identifier')}"
        self.names.produced.add(made)
        return made

    def _iso(self, value: str) -> str:
        head = value[:10]
        try:
            day = datetime.strptime(head, "%Y-%m-%d")
        except ValueError:
            return self.names.shaped(value, "free text")
        self.names.summary["date"] += 1
        made = (day + timedelta(days=self.names.shift_days)).strftime("%Y-%m-%d") + value[10:]
        self.names.produced.add(made)
        return made

    def url(self, value: str, content: bool = False) -> str:
        return redact_url(value, self.names, self.string, content)


def _json(value: str) -> Any:
    try:
        return json.loads(value)
    except ValueError:
        return None


def _is_text(decoded: str) -> bool:
    """Text (line breaks, tabs, thin spaces and joiners allowed), not binary that decoded
    by chance: no control, private-use or unassigned characters."""
    return all(char in "\n\t" or unicodedata.category(char) not in _NOT_TEXT for char in decoded)


def _is_calendar_date(value: list[Any]) -> bool:
    """``[20240105, 2024, 1, 5, ...]``; the calendar host sends the day as a string."""
    if len(value) < 4:
        return False
    day, rest = value[0], value[1:]
    if isinstance(day, str) and len(day) == 8 and day.isdigit():
        day = int(day)
    return (
        isinstance(day, int)
        and not isinstance(day, bool)
        and all(isinstance(v, int) and not isinstance(v, bool) for v in rest)
        and 19000101 <= day <= 21001231
    )
