"""The scenario accounts behind this issue hold what docs/sandbox.md says they hold."""

from __future__ import annotations

from cloudtap.sandbox.accounts.scenarios import scenario_account
from cloudtap.sandbox.cloudkit.container import CONTAINERS
from cloudtap.sandbox.services import callhistory

CALLS = CONTAINERS[callhistory.CONTAINER]


def _calls(name: str) -> int:
    account = scenario_account(name)
    if not CALLS.zones(account, "private"):
        return -1  # no zone at all
    page = CALLS.changes(account, "private", callhistory.ZONE, None, 1000, ["CallRecord"])
    return len(page.records)


def test_callkit_scenarios() -> None:
    assert _calls("callkit-uninitialised") == -1
    assert _calls("callkit-sync-off") == 0
    assert _calls("calls-few") == 0  # two calls never trigger a sync
    assert _calls("rich") == scenario_account("rich").content.calls


def test_large_accounts_have_the_issue_sizes() -> None:
    assert scenario_account("contacts-10k").content.contacts == 10_000
    assert scenario_account("events-10k").content.events == 10_000
    assert scenario_account("notes-5k").content.notes == 5_000
    assert scenario_account("calls-20k").content.calls == 20_000
    assert scenario_account("history-50k").content.history == 50_000


def test_fault_scenarios_carry_their_knobs() -> None:
    assert scenario_account("slow").faults.latency_ms > 0
    assert scenario_account("busy").faults.throttle_per_minute == 30
    flaky = scenario_account("flaky").faults
    assert flaky.reset_after_bytes and flaky.download_url_ttl and flaky.malformed_json_every
    assert not any(vars(scenario_account("rich").faults).values())
