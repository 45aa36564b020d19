"""Issue 19.7: lockout@ refuses sign-in with a bare 503 and doubles its lockout whenever
a client comes back before it ends (from 20 s). cloudtap never comes back early: the
session fails with ``rate-limited`` and when to retry, later logins of the account fail
at once without asking Apple until the cool-down ends, and the lockout is never extended
(sign-in attempts counted at the sandbox). The sandbox's lockout runs on a clock the
test moves on; cloudtap's cool-down is shortened to three seconds."""

from __future__ import annotations

import dataclasses
import time
from datetime import datetime

from typer.testing import CliRunner

from cloudtap.cli.sandbox import sandbox_app
from cloudtap.config import get_settings, set_settings
from cloudtap.dashboard.explain import explain
from cloudtap.jobs.locks import lock_provider_for
from cloudtap.jobs.signin_cooldown import SigninCooldown
from cloudtap.sandbox.apple.lockouts import SigninLockouts
from tests.api.live_sandbox import LiveAPI, apple_id, live_api  # noqa: F401

LOCKOUT = 20.0  # the sandbox's first lockout, in the test's clock
COOLDOWN = 3.0  # cloudtap's, shortened from 15 min (outlasts four logins on a loaded machine)


class _Clock:
    def __init__(self) -> None:
        self.now = 1_000.0

    def __call__(self) -> float:
        return self.now


def test_retries_never_extend_the_lockout(live: LiveAPI) -> None:
    set_settings(dataclasses.replace(live.settings, signin_cooldown_seconds=COOLDOWN))
    clock = _Clock()
    world = live.sandbox.world
    world.signin_lockouts = SigninLockouts(base=LOCKOUT, clock=clock)
    account = apple_id("lockout")

    first = live.session("lockout")
    assert (first["state"], first["error"]) == ("failed", "rate-limited")
    info = first["error_info"]
    assert info["retry_after_seconds"] >= COOLDOWN
    assert datetime.fromisoformat(info["retry_at"].replace("Z", "+00:00"))
    assert set(info["possible_causes"]) == {"throttled", "terms-pending"}
    assert world.tally.count(account, "signin") == 1

    # Coming back at once, again and again: refused by cloudtap, Apple never asked.
    for _ in range(3):
        again = live.session("lockout")
        assert (again["state"], again["error"]) == ("failed", "rate-limited")
        assert again["error_info"]["retry_after_seconds"] >= 1
    assert world.tally.count(account, "signin") == 1
    assert world.signin_lockouts.lengths(account) == [LOCKOUT]

    # Once both have passed (ours in real time, Apple's on its clock) the login works.
    cooldown = SigninCooldown(lock_provider_for(get_settings()).store, COOLDOWN)
    deadline = time.monotonic() + 10 * COOLDOWN
    while cooldown.remaining(account) > 0 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert cooldown.remaining(account) == 0
    clock.now += LOCKOUT
    assert live.session("lockout")["state"] == "active"
    assert world.tally.count(account, "signin") == 2
    assert world.signin_lockouts.lengths(account) == [LOCKOUT]  # never extended


def test_pending_terms_look_like_throttling_and_are_never_retried(live: LiveAPI) -> None:
    """Issue 19.4: terms-503@ answers sign-in 503 until its owner accepts new terms
    (docker-icloudpd #860). The wire cannot tell it from throttling, so the session says
    both, is not retried into a lockout, and works once the terms are accepted."""
    set_settings(dataclasses.replace(live.settings, signin_cooldown_seconds=COOLDOWN))
    world, account = live.sandbox.world, apple_id("terms-503")

    refused = live.session("terms-503")
    assert refused["error"] == "rate-limited"
    assert "terms-pending" in refused["error_info"]["possible_causes"]
    words = explain(refused["error"], refused["error_info"])
    assert words is not None and "terms" in words.summary and "icloud.com" in words.next_step
    assert live.session("terms-503")["error"] == "rate-limited"
    assert world.tally.count(account, "signin") == 1  # the second login never reached Apple

    # The owner accepts them (at icloud.com); in the sandbox, as a developer would:
    accepted = CliRunner().invoke(
        sandbox_app, ["accept-terms", account, "--proxy", live.sandbox.proxy_url]
    )
    assert accepted.exit_code == 0, accepted.output
    cooldown = SigninCooldown(lock_provider_for(get_settings()).store, COOLDOWN)
    deadline = time.monotonic() + 10 * COOLDOWN
    while cooldown.remaining(account) > 0 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert live.session("terms-503")["state"] == "active"
    assert world.tally.count(account, "signin") == 2
