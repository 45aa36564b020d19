"""A CloudKit zone whose records form a fixed, position-addressed change log.

Every emulated app zone here (Notes, call history, Safari history) is generated
lazily: record ``p`` of the log is a pure function of the account and ``p``. A sync
token is just a position plus a check of which zone/day it belongs to, so paging
``changes/zone`` needs no server state and never materialises the whole zone.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import struct
import threading
from collections.abc import Callable, Iterable, Mapping
from typing import Any, Protocol

from cloudtap.sandbox.accounts.model import SandboxAccount
from cloudtap.sandbox.cloudkit.container import (
    ChangesPage,
    CloudKitError,
    Database,
    QueryReply,
    Record,
    Zone,
)
from cloudtap.sandbox.cloudkit.context import current_world, state_of
from cloudtap.sandbox.world import DELETIONS, SandboxWorld

_TOKEN = struct.Struct(">BQ8s")
_VERSION = 2
MAX_SCAN = 100_000  # positions one changes call may skip over while filtering by type


def zone_check(*scope: object) -> bytes:
    return hashlib.blake2b("\x1f".join(map(str, scope)).encode(), digest_size=8).digest()


def encode_token(position: int, check: bytes) -> str:
    return base64.b64encode(_TOKEN.pack(_VERSION, position, check)).decode()


def decode_token(token: str, check: bytes) -> int:
    try:
        version, position, token_check = _TOKEN.unpack(base64.b64decode(token, validate=True))
    except (binascii.Error, struct.error, ValueError) as exc:
        raise CloudKitError("BAD_REQUEST", "Unknown sync continuation type") from exc
    if version != _VERSION or token_check != check:
        # A token from another zone, account or day: start over, like an expired token.
        raise CloudKitError(
            "CHANGE_TOKEN_EXPIRED", "The sync token has expired; start again without one", 410
        )
    return int(position)


TOMBSTONE = ""  # the type_at of a deleted record's tombstone: it passes any type filter


def page_changes(
    total: int,
    check: bytes,
    sync_token: str | None,
    limit: int,
    record_types: list[str] | None,
    type_at: Callable[[int], str],
    record_at: Callable[[int], Record],
) -> ChangesPage:
    """One ``changes/zone`` page: up to ``limit`` records after the token's position."""
    position = decode_token(sync_token, check) if sync_token else 0
    wanted = set(record_types) if record_types else None
    records: list[Record] = []
    scanned = 0
    while position < total and len(records) < max(1, limit) and scanned < MAX_SCAN:
        kind = type_at(position)
        if wanted is None or kind in wanted or kind == TOMBSTONE:
            records.append(record_at(position))
        position += 1
        scanned += 1
    return ChangesPage(records, encode_token(position, check), more_coming=position < total)


class ChangeLog(Protocol):
    """An account's zone as a position-addressed log of records."""

    total: int
    check: bytes

    def type_at(self, position: int) -> str: ...

    def record_at(self, position: int) -> Record: ...


class Deletions:
    """Records deleted from a world's generated zones (by a test standing in for the
    user's device), in deletion order, per account and container. A deleted record is a
    tombstone (``{recordName, deleted: true, zoneID}``, pyicloud's
    ``photos_zone_changes_response.json`` shape) in its place in the log, and once more
    after the log's end, so a sync token taken before the deletion sees it."""

    def __init__(self) -> None:
        self._names: dict[tuple[str, str], list[str]] = {}
        self._lock = threading.Lock()

    def names(self, dsid: str, container: str) -> list[str]:
        with self._lock:
            return list(self._names.get((dsid, container), []))

    def delete(self, dsid: str, container: str, name: str) -> None:
        with self._lock:
            names = self._names.setdefault((dsid, container), [])
            if name not in names:
                names.append(name)

    def export(self) -> list[dict[str, Any]]:
        """Every deletion as plain data (for the sandbox's memory across restarts)."""
        with self._lock:
            return [
                {"dsid": dsid, "container": container, "names": list(names)}
                for (dsid, container), names in self._names.items()
            ]

    def restore(self, saved: Iterable[Mapping[str, Any]]) -> None:
        with self._lock:
            for entry in saved:
                key = (str(entry["dsid"]), str(entry["container"]))
                self._names[key] = [str(n) for n in entry["names"]]


def delete_record(world: SandboxWorld, dsid: str, container: str, name: str) -> None:
    """Delete a generated record, as the account's own device would."""
    state_of(world, "changelog-deletions", Deletions).delete(dsid, container, name)
    world.changed(DELETIONS)


class _WithTombstones:
    """A :class:`ChangeLog` with the world's deletions laid over it."""

    def __init__(self, log: ChangeLog, zone: Zone, deleted: list[str]) -> None:
        self.log, self.zone, self.deleted = log, zone, deleted
        self.gone = set(deleted)
        self.total = log.total + len(deleted)
        self.check = log.check

    def type_at(self, position: int) -> str:
        return self.log.type_at(position) if position < self.log.total else TOMBSTONE

    def record_at(self, position: int) -> Record:
        if position >= self.log.total:
            return tombstone(self.zone, self.deleted[position - self.log.total])
        record = self.log.record_at(position)
        name = str(record.get("recordName"))
        return tombstone(self.zone, name) if name in self.gone else record


def tombstone(zone: Zone, name: str) -> Record:
    return {"recordName": name, "deleted": True, "zoneID": zone_json(zone)}


class ChangeLogContainer:
    """A container whose zone is one :class:`ChangeLog`: sync tokens and ``changes/zone``
    follow from the log, so each app only says how its log is laid out."""

    name: str
    zone: Zone  # its one zone, in the private database
    layout: Callable[[SandboxAccount], ChangeLog]  # the app's log, laid out for an account

    def zones(self, account: SandboxAccount, database: Database) -> list[Zone]:
        return [self.zone] if database == "private" else []

    def change_log(self, account: SandboxAccount) -> ChangeLog:
        return self.layout(account)

    def _log(self, account: SandboxAccount, zone: Zone) -> ChangeLog:
        log = self.change_log(account)
        world = current_world.get()  # none outside a request: nothing was deleted there
        if world is None:
            return log
        deleted = state_of(world, "changelog-deletions", Deletions).names(account.dsid, self.name)
        return _WithTombstones(log, zone, deleted) if deleted else log

    def sync_token(self, account: SandboxAccount, database: Database, zone: Zone) -> str:
        log = self._log(account, zone)
        return encode_token(log.total, log.check)

    def changes(
        self,
        account: SandboxAccount,
        database: Database,
        zone: Zone,
        sync_token: str | None,
        limit: int,
        record_types: list[str] | None,
    ) -> ChangesPage:
        log = self._log(account, zone)
        return page_changes(
            log.total, log.check, sync_token, limit, record_types, log.type_at, log.record_at
        )


def newest_first(total: int, body: dict[str, Any], item: Callable[[int], Record]) -> QueryReply:
    """One ``records/query`` page over items ``0..total-1``, newest (highest) first,
    continued by the ``continuationMarker`` we issued."""
    offset = query_offset(body.get("continuationMarker"))
    limit = results_limit(body)
    newest = total - 1 - offset
    records = [item(i) for i in range(newest, max(-1, newest - limit), -1)]
    end = offset + len(records)
    return QueryReply(records, query_marker(end) if end < total else None)


def zone_json(zone: Zone) -> dict[str, Any]:
    return {"zoneName": zone.name, "ownerRecordName": zone.owner, "zoneType": zone.zone_type}


def record(
    zone: Zone,
    name: str,
    record_type: str,
    fields: dict[str, Any],
    created_ms: int,
    modified_ms: int,
) -> Record:
    """A CloudKit record in the envelope ``records/query`` and ``changes/zone`` return."""
    tag = hashlib.blake2b(f"{name}:{modified_ms}".encode(), digest_size=4).hexdigest()
    return {
        "recordName": name,
        "recordType": record_type,
        "fields": fields,
        "pluginFields": {},
        "recordChangeTag": tag,
        "created": {"timestamp": created_ms, "userRecordName": "_defaultOwner", "deviceID": "2"},
        "modified": {"timestamp": modified_ms, "userRecordName": "_defaultOwner", "deviceID": "2"},
        "deleted": False,
        "zoneID": zone_json(zone),
    }


def encrypted(text: str) -> dict[str, Any]:
    """An ``ENCRYPTED_BYTES`` field: on the web, PCS-decrypted bytes arrive base64'd."""
    return {"value": base64.b64encode(text.encode()).decode(), "type": "ENCRYPTED_BYTES"}


def encrypted_bytes(blob: bytes) -> dict[str, Any]:
    return {"value": base64.b64encode(blob).decode(), "type": "ENCRYPTED_BYTES"}


def string(value: str) -> dict[str, Any]:
    return {"value": value, "type": "STRING"}


def int64(value: int) -> dict[str, Any]:
    return {"value": value, "type": "INT64"}


def double(value: float) -> dict[str, Any]:
    return {"value": value, "type": "DOUBLE"}


def timestamp(ms: int) -> dict[str, Any]:
    return {"value": ms, "type": "TIMESTAMP"}


def reference(zone: Zone, name: str) -> dict[str, Any]:
    return {
        "value": {"recordName": name, "action": "VALIDATE", "zoneID": zone_json(zone)},
        "type": "REFERENCE",
    }


def reference_list(zone: Zone, names: list[str]) -> dict[str, Any]:
    return {
        "value": [{"recordName": n, "action": "NONE", "zoneID": zone_json(zone)} for n in names],
        "type": "REFERENCE_LIST",
    }


def query_offset(marker: Any) -> int:
    """A ``continuationMarker`` we issued is a position; anything else is a client error."""
    if marker is None:
        return 0
    if isinstance(marker, str):
        try:
            raw = base64.b64decode(marker, validate=True)
            kind, position = raw[:1], int(raw[1:].decode())
        except (binascii.Error, ValueError, UnicodeDecodeError) as exc:
            raise CloudKitError("BAD_REQUEST", "Invalid continuationMarker") from exc
        if kind == b"Q" and position >= 0:
            return position
    raise CloudKitError("BAD_REQUEST", "Invalid continuationMarker")


def query_marker(position: int) -> str:
    return base64.b64encode(b"Q" + str(position).encode()).decode()


def results_limit(body: dict[str, Any], default: int = 200, cap: int = 1000) -> int:
    limit = body.get("resultsLimit", default)
    if not isinstance(limit, int) or isinstance(limit, bool) or limit <= 0:
        return default
    return min(limit, cap)
