"""The sandbox's Reminders: CloudKit records as pyicloud 2026.10.1 reads them (its own
record mapper, run in its venv), compared with the world's reminders; the compound
``reminderList`` query; the legacy ``rd/startup`` placeholders of upgraded lists."""

from __future__ import annotations

import json
import subprocess
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from cloudtap.sandbox.accounts.model import ContentSpec, SandboxAccount
from cloudtap.sandbox.accounts.scenarios import scenario_account, scenario_accounts
from cloudtap.sandbox.cloudkit.container import CONTAINERS, Record
from cloudtap.sandbox.services import reminders, reminders_legacy
from cloudtap.sandbox.services.content import reminders as gen
from tests.sandbox.compat.conftest import PYICLOUD
from tests.sandbox.services.conftest import ServiceClient, make_account
from tests.support.venvs import client_venv, venv_bin

MAPPER = Path(__file__).with_name("pyicloud_reminders_mapper.py")
RICH = scenario_account("rich").content


def _changes(account: SandboxAccount, types: list[str] | None = None) -> list[Record]:
    container = CONTAINERS[reminders.CONTAINER]
    token: str | None = None
    out: list[Record] = []
    while True:
        page = container.changes(account, "private", reminders.ZONE, token, 7, types)
        out += page.records
        token = page.sync_token
        if not page.more_coming:
            return out


def _pyicloud_reads(records: list[Record]) -> dict[str, dict[str, Any]]:
    venv = client_venv("pyicloud", PYICLOUD)
    done = subprocess.run(
        [venv_bin(venv, "python"), str(MAPPER)],
        input=json.dumps(records),
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    return {row["record"]: row for row in json.loads(done.stdout)}


def _ms_iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat()


@pytest.mark.compat
def test_pyicloud_reads_every_field_of_the_rich_world() -> None:
    account = make_account(ContentSpec(seed=RICH.seed, reminders="rich"))
    world = gen.world(account.content)
    read = _pyicloud_reads(_changes(account))
    for lst in world.lists:
        row = read[f"List/{lst.id}"]
        members = [r.id for r in world.of_list(lst.id)]
        assert (row["title"], row["count"], row["reminder_ids"]) == (
            lst.name,
            len(members),
            members,
        )
        assert json.loads(row["color"])["daHexString"] == lst.color_hex
    for item in world.reminders:
        row = read[f"Reminder/{item.id}"]
        assert (row["title"], row["desc"], row["list_id"]) == (
            item.title,
            item.notes,
            f"List/{item.list_id}",
        )
        assert (row["priority"], row["flagged"], row["completed"], row["all_day"]) == (
            item.priority,
            item.flagged,
            item.completed,
            item.all_day,
        )
        if item.due is not None:
            assert datetime.fromisoformat(row["due"]) == item.due
            assert row["time_zone"] == item.time_zone
        elif item.due_day is not None:
            assert datetime.fromisoformat(row["due"]).date() == item.due_day
            assert row["time_zone"] is None
        else:
            assert row["due"] is None
        done = row["completed_date"]
        assert (datetime.fromisoformat(done) if done else None) == item.completed_at
        assert row["parent"] == (f"Reminder/{item.parent_id}" if item.parent_id else None)
        assert row["alarm_ids"] == [a.id for a in item.alarms]
        assert [read[f"Hashtag/{i}"]["name"] for i in row["hashtag_ids"]] == [
            name for _, name in item.tags
        ]
        assert [read[f"Attachment/{i}"]["url"] for i in row["attachment_ids"]] == (
            [item.url] if item.url else []
        )
        rules = [read[f"RecurrenceRule/{i}"] for i in row["recurrence_rule_ids"]]
        expected = item.recurrence
        assert [(r["frequency"], r["interval"], r["count"]) for r in rules] == (
            [(expected.frequency, expected.interval, expected.count)] if expected else []
        )
        for alarm in item.alarms:
            trigger = read[f"AlarmTrigger/{alarm.trigger_id}"]["dump"]
            if isinstance(alarm, gen.DateAlarm):
                parts = trigger["date_components"]
                at = alarm.at
                assert (parts["year"], parts["month"], parts["day"]) == (at.year, at.month, at.day)
                assert (parts["hour"], parts["minute"]) == (at.hour, at.minute)
                assert parts["time_zone"] == str(at.tzinfo)
            else:
                assert (trigger["title"], trigger["latitude"], trigger["proximity"]) == (
                    alarm.title,
                    alarm.latitude,
                    alarm.proximity,
                )
    # The world really holds every field: both sides of UTC, all-day, subtasks, ...
    items = world.reminders
    offsets = [i.due.utcoffset() for i in items if i.due is not None]
    hours = {o.total_seconds() / 3600 for o in offsets if o is not None}
    assert min(hours) < 0 < max(hours)
    assert any(i.all_day for i in items) and any(i.parent_id for i in items)
    assert any(i.recurrence for i in items) and any(i.url for i in items)
    assert any(i.tags for i in items) and any(i.flagged for i in items)
    assert any(isinstance(a, gen.LocationAlarm) for i in items for a in i.alarms)
    assert any(isinstance(a, gen.DateAlarm) for i in items for a in i.alarms)
    assert any(lst.shared for lst in world.lists)


def test_every_scenario_account_has_reminder_lists() -> None:
    for account in scenario_accounts():
        world = gen.world(account.content)
        assert world.lists and world.reminders, account.apple_id
        lists = [r for r in _changes(account, ["List"]) if r["recordType"] == "List"]
        assert len(lists) == len(world.lists)


def test_a_shared_list_carries_its_share() -> None:
    account = make_account(ContentSpec(seed=3, reminders="rich"))
    shared = {lst.id for lst in gen.world(account.content).lists if lst.shared}
    for record in _changes(account, ["List"]):
        name = record["recordName"].removeprefix("List/")
        assert ("share" in record) == (name in shared)


def _list_query(list_name: str, completed: int, marker: str | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {
        "query": {
            "recordType": "reminderList",
            "filterBy": [
                {
                    "comparator": "EQUALS",
                    "fieldName": "List",
                    "fieldValue": {
                        "type": "REFERENCE",
                        "value": {"recordName": list_name, "action": "VALIDATE"},
                    },
                },
                {
                    "comparator": "EQUALS",
                    "fieldName": "includeCompleted",
                    "fieldValue": {"type": "INT64", "value": completed},
                },
            ],
        },
        "zoneID": {"zoneName": "Reminders", "zoneType": "REGULAR_CUSTOM_ZONE"},
        "resultsLimit": 2,
    }
    if marker:
        body["continuationMarker"] = marker
    return body


async def test_the_list_query_pages_a_lists_reminders(service_client: ServiceClient) -> None:
    account = make_account()
    world = gen.world(account.content)
    lst = world.lists[0]
    path = "/database/1/com.apple.reminders/production/private/records/query"
    for completed in (1, 0):
        names: list[str] = []
        marker = None
        async with service_client("ckdatabasews") as client:
            while True:
                reply = await client.post(
                    path, json=_list_query(f"List/{lst.id}", completed, marker)
                )
                assert reply.status_code == 200, reply.text
                body = reply.json()
                assert body["syncToken"]
                names += [r["recordName"] for r in body["records"] if r["recordType"] == "Reminder"]
                marker = body.get("continuationMarker")
                if not marker:
                    break
        expected = [r for r in world.of_list(lst.id) if completed or not r.completed]
        assert names == [f"Reminder/{r.id}" for r in expected]


async def test_a_list_filter_that_is_no_reference_is_a_bad_request(
    service_client: ServiceClient,
) -> None:
    body = _list_query("x", 1)
    body["query"]["filterBy"][0]["fieldValue"]["value"] = "List/x"
    async with service_client("ckdatabasews") as client:
        reply = await client.post(
            "/database/1/com.apple.reminders/production/private/records/query", json=body
        )
    assert reply.status_code == 400
    assert reply.json()["serverErrorCode"] == "BAD_REQUEST"


async def test_legacy_startup_of_upgraded_lists_is_placeholders_only(
    service_client: ServiceClient,
) -> None:
    upgraded = scenario_account("reminders-upgraded").content
    world = gen.world(upgraded)
    view = reminders_legacy.placeholders(upgraded)
    assert [c["title"] for c in view["Collections"]] == [lst.name for lst in world.lists]
    titles = {r["title"] for r in view["Reminders"]}
    assert titles == set(reminders_legacy.PLACEHOLDER_TITLES)
    assert not titles & {r.title for r in world.reminders}
    async with service_client("remindersws") as client:
        reply = await client.get("/rd/startup", params={"lang": "en-us", "usertz": "UTC"})
    assert reply.status_code == 200
    served = reply.json()
    assert {r["title"] for r in served["Reminders"]} == set(reminders_legacy.PLACEHOLDER_TITLES)
    async with service_client("remindersws", signed_in=False) as client:
        assert (await client.get("/rd/startup")).status_code == 421
