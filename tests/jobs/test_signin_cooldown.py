"""The sign-in cool-down in both lease stores (SQLite and Redis): how long is left, and
how each refusal within a day doubles the next wait."""

from __future__ import annotations

from cloudtap.jobs.signin_cooldown import SigninCooldown, retry_info
from tests.jobs.test_locks import StoreSpec, open_store, store_spec  # noqa: F401

APPLE_ID = "cooldown@sandbox.cloudtap.dev"


def test_each_refusal_doubles_the_wait_and_is_remembered(store_spec: StoreSpec) -> None:  # noqa: F811
    cooldown = SigninCooldown(open_store(store_spec), base_seconds=30.0)
    assert cooldown.remaining(APPLE_ID) == 0
    assert cooldown.refused(APPLE_ID) == 30.0
    assert 25.0 < cooldown.remaining(APPLE_ID) <= 30.0
    assert cooldown.refused(APPLE_ID) == 60.0
    assert 55.0 < cooldown.remaining(APPLE_ID) <= 60.0
    # Apple's Retry-After, when longer, wins.
    assert cooldown.refused(APPLE_ID, retry_after=1_000.0) == 1_000.0
    assert cooldown.remaining("someone-else@sandbox.cloudtap.dev") == 0


def test_the_error_info_says_when_and_why() -> None:
    info = retry_info(0.2)
    assert info["retry_after_seconds"] == 1 and info["retry_at"].endswith("Z")
    assert info["possible_causes"] == ["throttled", "terms-pending"]
