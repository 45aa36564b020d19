"""The Safari history CloudKit container (``com.apple.SafariShared.WBSCloudHistoryStore``).

No public client or capture shows this container, so the record shape is ours,
modelled on Safari's ``History.db`` (``history_items`` + ``history_visits``) and
documented in ``docs/sandbox.md``: private database, zone ``History``, one
``HistoryVisit`` record per visit, oldest first in the change log.
"""

from __future__ import annotations

from collections.abc import Iterator
from functools import lru_cache
from typing import Any

from cloudtap.sandbox.accounts.model import SandboxAccount
from cloudtap.sandbox.cloudkit.container import (
    Database,
    QueryReply,
    Record,
    Zone,
    register_container,
)
from cloudtap.sandbox.services import _ckzone as ck
from cloudtap.sandbox.services.content import history as gen
from cloudtap.sandbox.services.content.rng import day_start, item_uuid, today

CONTAINER = "com.apple.SafariShared.WBSCloudHistoryStore"
ZONE = Zone("History")
VISIT_RECORD = "HistoryVisit"


class _Layout:
    def __init__(self, account: SandboxAccount) -> None:
        self.spec = account.content
        self.now = day_start(today())
        self.total = self.spec.history
        self.check = ck.zone_check(CONTAINER, account.dsid, self.spec.seed, self.total, today())

    def type_at(self, position: int) -> str:
        return VISIT_RECORD

    def record_at(self, position: int) -> Record:
        return visit_record(gen.visit(self.spec, position, self.now))


def visit_record(visit: gen.Visit) -> Record:
    ms = int(visit.visit_time.timestamp() * 1000)
    fields: dict[str, Any] = {
        "url": ck.encrypted(visit.url),
        "visitTime": ck.timestamp(ms),
        "visitCount": ck.int64(visit.visit_count),
        "loadSuccessful": ck.int64(int(visit.load_successful)),
        "deviceName": ck.encrypted(visit.device),
    }
    if visit.title is not None:  # an untitled page has no title field
        fields["title"] = ck.encrypted(visit.title)
    return ck.record(ZONE, visit.id, VISIT_RECORD, fields, ms, ms)


@lru_cache(maxsize=8)
def _visit_names(seed: int, count: int) -> dict[str, int]:
    return {item_uuid(seed, gen.KIND, i): i for i in range(count)}


class SafariHistoryContainer(ck.ChangeLogContainer):
    name = CONTAINER
    zone = ZONE
    layout = _Layout

    def query(
        self, account: SandboxAccount, database: Database, zone: Zone, body: dict[str, Any]
    ) -> QueryReply:
        """``recordType`` ``HistoryVisit``, newest first, paged by ``continuationMarker``."""
        if (body.get("query") or {}).get("recordType") != VISIT_RECORD:
            return QueryReply([])
        layout = _Layout(account)
        return ck.newest_first(layout.total, body, layout.record_at)

    def lookup(
        self, account: SandboxAccount, database: Database, zone: Zone, names: list[str]
    ) -> Iterator[Record]:
        layout = _Layout(account)
        index = _visit_names(layout.spec.seed, layout.total)
        for name in names:
            if name in index:
                yield layout.record_at(index[name])


register_container(SafariHistoryContainer())
