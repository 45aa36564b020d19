"""A session knows its horizon (issue 22): ``date_expires`` from the trust Apple grants,
``session.expiring`` ahead of it and ``session.expired`` (reason ``trust-ended``) at it,
each delivered once to a webhook receiver on 127.0.0.1.

``trust-60s@`` is the sandbox's fast clock: its trust ends 60 s after a 2FA login. The
sweep is driven with an injected ``now`` (the lease sweeper calls the same function with
the real clock), so the test walks through the minute without sleeping through it.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

import pytest

from cloudtap.jobs.session_horizon import sweep_session_horizons
from tests.api.helpers import wait_for
from tests.api.live_sandbox import CODE, LiveAPI, apple_id, live_api  # noqa: F401
from tests.support.webhook_receiver import Received, WebhookReceiver

LEAD_SECONDS = 20.0  # session.expiring this long before the horizon


@pytest.fixture(autouse=True)
def _fast_webhooks_and_short_lead(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CLOUDTAP_WEBHOOK_ALLOW_HOSTS", "127.0.0.1")
    monkeypatch.setenv("CLOUDTAP_WEBHOOK_BACKOFF_BASE", "0.2")
    monkeypatch.setenv("CLOUDTAP_WEBHOOK_TIMEOUT", "0.5")
    monkeypatch.setenv("CLOUDTAP_SESSION_EXPIRING_DAYS", str(LEAD_SECONDS / 86400))


@pytest.fixture
def receiver(live: LiveAPI) -> Iterator[WebhookReceiver]:
    with WebhookReceiver() as running:
        response = live.client.post(
            "/configs/webhook", json={"url": running.url}, headers=live.tenant.headers
        )
        assert response.status_code == 201, response.text
        yield running


def _session_events(receiver: WebhookReceiver) -> list[tuple[str, dict[str, Any]]]:
    bodies = [json.loads(r.body) for r in list(receiver.received)]
    return [(b["action"], b["data"]) for b in bodies if b["type"] == "session"]


def _delivered(receiver: WebhookReceiver, action: str) -> bool:
    return any(seen == action for seen, _ in _session_events(receiver))


def _moment(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).replace(tzinfo=None)


def test_trust_60s_is_announced_ahead_then_expired_once_each(
    live: LiveAPI, receiver: WebhookReceiver
) -> None:
    assert live.session("trust-60s")["error"] == "code-required"
    session = live.session("trust-60s", code=CODE)
    assert session["state"] == "active"
    # Apple's word (the trust cookie's expiry), not the estimate, and the sandbox's own
    # record of when this account's trust ends.
    assert session["expires_estimated"] is False
    horizon = _moment(session["date_expires"])
    trust_end = live.sandbox.world.sign_ins.trust_end(apple_id("trust-60s"))
    assert trust_end is not None
    assert abs(horizon - datetime.utcfromtimestamp(trust_end)) < timedelta(seconds=2)
    created = _moment(session["date_created"])
    assert timedelta(seconds=55) < horizon - created < timedelta(seconds=65)

    lead = timedelta(seconds=LEAD_SECONDS)
    second = timedelta(seconds=1)
    ahead = [
        (horizon - lead - second, (0, 0)),  # not yet
        (horizon - lead + second, (1, 0)),  # expiring
        (horizon - second, (0, 0)),  # announced already
    ]
    for now, expected in ahead:
        assert sweep_session_horizons(live.settings, now) == expected, now
    # Real time puts the lead between the two; the fast clock waits for the delivery.
    wait_for(lambda: _delivered(receiver, "expiring"))
    for now, expected in [
        (horizon + second, (0, 1)),  # trust ended
        (horizon + 10 * second, (0, 0)),  # expired already
    ]:
        assert sweep_session_horizons(live.settings, now) == expected, now
    wait_for(lambda: _delivered(receiver, "expired"))
    events = _session_events(receiver)
    actions = [action for action, data in events if data["id"] == session["id"]]
    assert actions.count("active") == 1
    assert [action for action in actions if action != "active"] == ["expiring", "expired"]
    expiring, expired = (data for action, data in events if action in ("expiring", "expired"))
    assert expiring["state"] == "active" and expiring["date_expires"] == session["date_expires"]
    assert expired["state"] == "expired" and expired["error"] == "session-expired"
    assert expired["error_info"] == {"reason": "trust-ended"}
    # The API says the same, and nothing secret went out.
    now_seen = live.client.get(f"/sessions/{session['id']}", headers=live.tenant.headers).json()
    assert (now_seen["state"], now_seen["error_info"]) == ("expired", {"reason": "trust-ended"})
    assert not any(_leaks(r) for r in receiver.received)


def _leaks(request: Received) -> bool:
    text = request.body.decode()
    return "sandbox-password" in text or CODE in text or "ct-trust-" in text


def test_without_apples_word_the_horizon_is_the_estimate(live: LiveAPI) -> None:
    # A one-factor account has no trusted browser: Apple sets no trust expiry.
    session = live.active_session("no2fa")
    assert session["expires_estimated"] is True
    horizon = _moment(session["date_expires"]) - _moment(session["date_created"])
    assert timedelta(days=59) < horizon < timedelta(days=61)
    # An estimate alone never ends a session: Apple's refusal does.
    later = _moment(session["date_expires"]) + timedelta(days=1)
    assert sweep_session_horizons(live.settings, later) == (0, 0)
    seen = live.client.get(f"/sessions/{session['id']}", headers=live.tenant.headers).json()
    assert seen["state"] == "active"


def test_a_changed_password_ends_the_earlier_session_with_that_reason(live: LiveAPI) -> None:
    first = live.active_session("password-changed")
    # The owner changed the password: Apple refuses the old one as it would a wrong one.
    again = live.session("password-changed")
    assert (again["state"], again["error"]) == ("failed", "invalid-credentials")
    assert again["error_info"] == {"reason": "password-changed"}
    ended = live.client.get(f"/sessions/{first['id']}", headers=live.tenant.headers).json()
    assert (ended["state"], ended["error"]) == ("expired", "session-expired")
    assert ended["error_info"] == {"reason": "password-changed"}
    [expired] = live.events("session", "expired")
    assert (expired["id"], expired["error_info"]) == (first["id"], {"reason": "password-changed"})


def test_a_mistyped_password_leaves_the_working_session_alone(live: LiveAPI) -> None:
    first = live.active_session("no2fa")
    typo = live.session("no2fa", password="not-the-password")
    assert (typo["error"], typo["error_info"]) == ("invalid-credentials", None)
    still = live.client.get(f"/sessions/{first['id']}", headers=live.tenant.headers).json()
    assert still["state"] == "active"
    assert live.events("session", "expired") == []


def test_a_locked_account_ends_the_earlier_session_with_that_reason(live: LiveAPI) -> None:
    first = live.active_session("no2fa")
    live.sandbox.world.lock_account(apple_id("no2fa"))  # Apple locks it: sessions end
    again = live.session("no2fa")
    assert (again["state"], again["error"]) == ("failed", "account-locked")
    assert again["source"]["state"] == "locked"
    ended = live.client.get(f"/sessions/{first['id']}", headers=live.tenant.headers).json()
    assert (ended["state"], ended["error_info"]) == ("expired", {"reason": "locked"})
    [expired] = live.events("session", "expired")
    assert (expired["id"], expired["error_info"]) == (first["id"], {"reason": "locked"})
