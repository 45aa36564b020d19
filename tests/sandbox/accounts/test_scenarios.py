"""Scenario accounts: one per behaviour, deterministic from the seed."""

from __future__ import annotations

import pytest

from cloudtap.sandbox.accounts.model import GeneratedLibrary
from cloudtap.sandbox.accounts.scenarios import (
    CODE,
    DOMAIN,
    PASSWORD,
    scenario_account,
    scenario_accounts,
)
from cloudtap.sandbox.photos.counts import photo_count

REQUIRED_SCENARIOS = {
    "no-2fa",
    "2fa-trusted-device",
    "2fa-sms",
    "2sv-legacy",
    "locked",
    "throttled",
    "advanced-data-protection",
    "china-mainland",
    "icloud-photos-off",
    "2fa-security-key",
    "terms-update",
    "large-library-10k",
    "large-library-100k",
    "rich-content",
    "large-contacts-10k",
    "large-calendar-10k",
    "large-notes-5k",
    "large-calls-20k",
    "large-history-50k",
    "callkit-uninitialised",
    "callkit-sync-disabled",
}


def test_every_scenario_exists_once() -> None:
    accounts = scenario_accounts(1)
    scenarios = [a.scenario for a in accounts]
    assert set(scenarios) >= REQUIRED_SCENARIOS
    assert len(scenarios) == len(set(scenarios))
    assert len({a.apple_id for a in accounts}) == len(accounts)
    assert len({a.dsid for a in accounts}) == len(accounts)


def test_memorable_credentials() -> None:
    for account in scenario_accounts(1):
        assert account.apple_id.endswith("@" + DOMAIN)
        assert account.password == PASSWORD
        assert len(account.dsid) == 11 and account.dsid.isdigit()
        if account.auth != "none":
            assert account.code == CODE


def test_deterministic_from_the_seed() -> None:
    assert scenario_accounts(7) == scenario_accounts(7)
    assert scenario_accounts(7) != scenario_accounts(8)


@pytest.mark.parametrize(("name", "count"), [("photos-10k", 10_000), ("photos-100k", 100_000)])
def test_large_libraries(name: str, count: int) -> None:
    account = scenario_account(name)
    assert isinstance(account.photos, GeneratedLibrary)
    assert photo_count(account) == count


def test_flags_match_the_scenario() -> None:
    assert scenario_account("locked").locked
    assert scenario_account("throttled").throttled
    assert scenario_account("adp").adp
    assert scenario_account("china").china
    assert not scenario_account("photos-off").photos_enabled
    assert scenario_account("2fa-sms").auth == "hsa2-sms"
    assert len(scenario_account("2fa-sms").trusted_phones) == 2
    assert len(scenario_account("2sv").twosv_devices) >= 2
    assert scenario_account("rich").content.contacts >= 100
    assert scenario_account("callkit-uninitialised").content.callkit == "uninitialised"
    assert scenario_account("callkit-sync-off").content.callkit == "sync-disabled"
    assert scenario_account("shared").photos is not None


def test_lookup_by_name_or_apple_id() -> None:
    assert scenario_account("no2fa") == scenario_account("NO2FA@sandbox.cloudtap.dev")
    with pytest.raises(KeyError):
        scenario_account("nobody")
