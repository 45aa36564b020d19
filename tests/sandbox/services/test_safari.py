from __future__ import annotations

import base64

from cloudtap.sandbox.accounts.model import SandboxAccount
from cloudtap.sandbox.cloudkit.container import CONTAINERS
from cloudtap.sandbox.services import safari

CONTAINER = "com.apple.SafariShared.WBSCloudHistoryStore"


def test_history_pages_through_every_visit(account: SandboxAccount) -> None:
    container = CONTAINERS[CONTAINER]
    token, records = None, []
    while True:
        page = container.changes(account, "private", safari.ZONE, token, 300, None)
        records.extend(page.records)
        token = page.sync_token
        if not page.more_coming:
            break
    assert len(records) == account.content.history
    assert {r["recordType"] for r in records} == {"HistoryVisit"}
    url = base64.b64decode(records[0]["fields"]["url"]["value"]).decode()
    assert url.startswith("https://")
    times = [r["fields"]["visitTime"]["value"] for r in records]
    assert times == sorted(times)
    # A token at the end has nothing more to give.
    tail = container.changes(account, "private", safari.ZONE, token, 300, None)
    assert tail.records == [] and not tail.more_coming


def test_query_newest_first(account: SandboxAccount) -> None:
    container = CONTAINERS[CONTAINER]
    page = container.query(
        account,
        "private",
        safari.ZONE,
        {"query": {"recordType": "HistoryVisit"}, "resultsLimit": 10},
    )
    times = [r["fields"]["visitTime"]["value"] for r in page.records]
    assert len(times) == 10 and times == sorted(times, reverse=True)
    assert (
        container.query(
            account, "private", safari.ZONE, {"query": {"recordType": "Bookmark"}}
        ).records
        == []
    )
