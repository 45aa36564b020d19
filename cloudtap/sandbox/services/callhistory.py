"""The call history CloudKit container (``com.apple.callhistory.sync-helper``).

No public client or capture shows this container, so the record shapes are ours,
modelled on CallHistory's own store (``ZCALLRECORD``) and documented in
``docs/sandbox.md``. Private database, zone ``CallHistory``; its change log is one
``CallHistorySyncState`` record, then ``CallRecord`` records oldest first. The account's
``ContentSpec.callkit`` picks the state the seed describes:

* ``uninitialised``: the container has no zone at all (``ZONE_NOT_FOUND``);
* ``sync-disabled``: the zone exists, its sync state says disabled, and no calls sync;
* ``ok``: calls of the last ~3 months, unless fewer than 3 (then the device never synced).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from functools import lru_cache
from typing import Any

from cloudtap.sandbox.accounts.model import ContentSpec, SandboxAccount
from cloudtap.sandbox.cloudkit.container import (
    Database,
    QueryReply,
    Record,
    Zone,
    register_container,
)
from cloudtap.sandbox.services import _ckzone as ck
from cloudtap.sandbox.services.content import calls as gen
from cloudtap.sandbox.services.content.rng import day_start, item_uuid, today

CONTAINER = "com.apple.callhistory.sync-helper"
ZONE = Zone("CallHistory")
STATE_RECORD = "CallHistorySyncState"
CALL_RECORD = "CallRecord"


def _ms(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


class _Layout:
    def __init__(self, account: SandboxAccount) -> None:
        self.spec = account.content
        self.now = day_start(today())
        self.calls = 0 if self.spec.callkit == "sync-disabled" else gen.synced_count(self.spec)
        self.total = 1 + self.calls
        self.check = ck.zone_check(CONTAINER, account.dsid, self.spec.seed, self.calls, today())

    def type_at(self, position: int) -> str:
        return STATE_RECORD if position == 0 else CALL_RECORD

    def record_at(self, position: int) -> Record:
        if position == 0:
            return state_record(self.spec, self.calls, self.now)
        return call_record(gen.call(self.spec, position - 1, self.now))


def state_record(spec: ContentSpec, calls: int, now: datetime) -> Record:
    enabled = spec.callkit != "sync-disabled"
    fields: dict[str, Any] = {
        "syncEnabled": ck.int64(int(enabled)),
        "reason": ck.string("" if enabled else "sync-conditions-not-met"),
        "recordCount": ck.int64(calls),
        "retentionDays": ck.int64(gen.RETENTION_DAYS),
    }
    if calls:
        fields["lastSyncDate"] = ck.timestamp(_ms(now))
    created = _ms(now) - gen.RETENTION_DAYS * 86_400_000
    return ck.record(ZONE, "CallHistorySyncState", STATE_RECORD, fields, created, _ms(now))


def call_record(call: gen.Call) -> Record:
    fields: dict[str, Any] = {
        "uniqueId": ck.string(call.unique_id),
        "address": ck.encrypted(call.address),
        "handleType": ck.int64(call.handle_type),
        "date": ck.timestamp(_ms(call.date)),
        "duration": ck.double(call.duration),
        "originated": ck.int64(int(call.originated)),
        "answered": ck.int64(int(call.answered)),
        "callType": ck.int64(call.call_type),
        "serviceProvider": ck.string(call.service_provider),
        "isoCountryCode": ck.string(call.iso_country_code),
        "location": ck.encrypted(call.location),
        "read": ck.int64(int(call.read)),
        "disconnectedCause": ck.int64(0 if call.answered else 2),
    }
    if call.name:
        fields["name"] = ck.encrypted(call.name)
    ms = _ms(call.date)
    return ck.record(ZONE, call.unique_id, CALL_RECORD, fields, ms, ms)


@lru_cache(maxsize=8)
def _call_names(seed: int, count: int) -> dict[str, int]:
    return {item_uuid(seed, gen.KIND, i): i for i in range(count)}


class CallHistoryContainer(ck.ChangeLogContainer):
    name = CONTAINER
    layout = _Layout

    def zones(self, account: SandboxAccount, database: Database) -> list[Zone]:
        if database != "private" or account.content.callkit == "uninitialised":
            return []
        return [ZONE]

    def query(
        self, account: SandboxAccount, database: Database, zone: Zone, body: dict[str, Any]
    ) -> QueryReply:
        """``recordType`` ``CallRecord`` newest first, or the sync state."""
        layout = _Layout(account)
        record_type = (body.get("query") or {}).get("recordType")
        if record_type == STATE_RECORD:
            return QueryReply([layout.record_at(0)])
        if record_type != CALL_RECORD:
            return QueryReply([])
        return ck.newest_first(
            layout.calls, body, lambda i: call_record(gen.call(layout.spec, i, layout.now))
        )

    def lookup(
        self, account: SandboxAccount, database: Database, zone: Zone, names: list[str]
    ) -> Iterator[Record]:
        layout = _Layout(account)
        index = _call_names(layout.spec.seed, layout.calls)
        for name in names:
            if name == "CallHistorySyncState":
                yield layout.record_at(0)
            elif name in index:
                yield layout.record_at(1 + index[name])


register_container(CallHistoryContainer())
