from __future__ import annotations

import base64
import time

from cloudtap.sandbox.accounts.model import ContentSpec, SandboxAccount
from cloudtap.sandbox.cloudkit.container import CONTAINERS, Record
from cloudtap.sandbox.services import callhistory
from cloudtap.sandbox.services.content.calls import RETENTION_DAYS
from tests.sandbox.services.conftest import make_account

CONTAINER = "com.apple.callhistory.sync-helper"


def _changes(account: SandboxAccount, record_types: list[str] | None = None) -> list[Record]:
    container = CONTAINERS[CONTAINER]
    token: str | None = None
    out: list[Record] = []
    while True:
        page = container.changes(account, "private", callhistory.ZONE, token, 150, record_types)
        out.extend(page.records)
        token = page.sync_token
        if not page.more_coming:
            return out


def test_calls_of_the_last_three_months_only(account: SandboxAccount) -> None:
    records = _changes(account, ["CallRecord"])
    assert len(records) == account.content.calls
    oldest = min(r["fields"]["date"]["value"] for r in records) / 1000
    assert time.time() - oldest <= (RETENTION_DAYS + 1) * 86400
    first = records[0]["fields"]
    assert base64.b64decode(first["address"]["value"])
    assert first["serviceProvider"]["value"]
    providers = {r["fields"]["serviceProvider"]["value"] for r in records}
    assert {"com.apple.Telephony", "com.apple.FaceTime"} <= providers
    assert any(r["fields"]["originated"]["value"] for r in records)
    assert any(not r["fields"]["answered"]["value"] for r in records)


def test_sync_state_comes_first(account: SandboxAccount) -> None:
    records = _changes(account)
    assert records[0]["recordType"] == "CallHistorySyncState"
    assert records[0]["fields"]["syncEnabled"]["value"] == 1


def test_callkit_uninitialised_has_no_zone() -> None:
    account = make_account(ContentSpec(seed=1, calls=50, callkit="uninitialised"))
    assert CONTAINERS[CONTAINER].zones(account, "private") == []


def test_callkit_sync_disabled_holds_no_calls() -> None:
    account = make_account(ContentSpec(seed=1, calls=50, callkit="sync-disabled"))
    assert [z.name for z in CONTAINERS[CONTAINER].zones(account, "private")] == ["CallHistory"]
    records = _changes(account)
    assert [r["recordType"] for r in records] == ["CallHistorySyncState"]
    assert records[0]["fields"]["syncEnabled"]["value"] == 0


def test_fewer_than_three_calls_never_sync() -> None:
    account = make_account(ContentSpec(seed=1, calls=2))
    assert _changes(account, ["CallRecord"]) == []


def test_query_newest_first_and_lookup(account: SandboxAccount) -> None:
    container = CONTAINERS[CONTAINER]
    body = {"query": {"recordType": "CallRecord"}, "resultsLimit": 20}
    page = container.query(account, "private", callhistory.ZONE, body)
    dates = [r["fields"]["date"]["value"] for r in page.records]
    assert dates == sorted(dates, reverse=True) and page.continuation_marker
    found = list(
        container.lookup(account, "private", callhistory.ZONE, [page.records[3]["recordName"]])
    )
    assert found == [page.records[3]]
