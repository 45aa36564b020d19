"""Every sandbox login scenario through HTTP, with the real iCloud client (no fakes).

Exact ``state``, ``error`` and ``error_info`` of each ``POST /sessions``, the source's
state, trust across sessions, Apple ending the web session, and ``DELETE``.
"""

from __future__ import annotations

import time
from typing import Any

import pytest
from sqlalchemy import select

from cloudtap.store.db import transaction
from cloudtap.store.models import Session, Source
from tests.api.live_sandbox import CODE, LiveAPI, apple_id, live_api  # noqa: F401


def _logged_out(live: LiveAPI) -> bool:
    return any(e.path.startswith("/setup/ws/1/logout") for e in live.sandbox.exchanges())


def _outcome(session: dict[str, Any]) -> tuple[str, str | None, Any, str]:
    return session["state"], session["error"], session["error_info"], session["source"]["state"]


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("no2fa", ("active", None, None, "active")),
        ("repair", ("active", None, None, "active")),
        # China mainland: Apple says domainToUse iCloud.com.cn; the client switches.
        ("china", ("active", None, None, "active")),
        ("locked", ("failed", "account-locked", None, "locked")),
        # ADP shows at login already (requestWebAccessState), before any poll.
        ("adp", ("failed", "adp-enabled", None, "unvalidated")),
        ("security-key", ("failed", "mfa-unsupported", None, "unvalidated")),
        ("terms", ("failed", "terms-update-required", None, "unvalidated")),
    ],
)
def test_one_post_scenarios(live: LiveAPI, name: str, expected: tuple[Any, ...]) -> None:
    session = live.session(name)
    assert _outcome(session) == expected
    assert session["source"]["identifier"] == apple_id(name)


def test_a_refused_sign_in_is_rate_limited_with_when_to_retry(live: LiveAPI) -> None:
    # Apple's sign-in 503 carries no Retry-After (icloudpd failed_auth_503.yml): the
    # cool-down (15 min by default) says when, and why it may have been refused.
    session = live.session("throttled")
    state, _, _, source_state = _outcome(session)
    assert (state, source_state) == ("failed", "unvalidated")
    assert session["error"] == "rate-limited"
    info = session["error_info"]
    assert info["retry_after_seconds"] == 900 and info["reason"] == "signin-refused"
    assert info["possible_causes"] == ["throttled", "terms-pending"]


def test_wrong_password_is_invalid_credentials(live: LiveAPI) -> None:
    session = live.session("no2fa", password="not-the-password")
    assert _outcome(session) == ("failed", "invalid-credentials", None, "unvalidated")


@pytest.mark.parametrize("name", ["2fa-device", "2fa-sms"])
def test_two_factor_code_completes_the_same_login(live: LiveAPI, name: str) -> None:
    first = live.session(name)
    state, error, info, source_state = _outcome(first)
    assert (state, error, source_state) == ("failed", "code-required", "unvalidated")
    assert info is not None and set(info) == {"sent_to", "choices"}
    wrong = live.session(name, code="000000")
    reason = {"reason": "code-invalid"}  # asked again, as ricloud-py expects, with the reason
    assert _outcome(wrong) == ("failed", "code-required", reason, "unvalidated")
    right = live.session(name, code=CODE)
    assert _outcome(right) == ("active", None, None, "active")
    assert len({first["id"], wrong["id"], right["id"]}) == 3
    assert first["source"]["id"] == right["source"]["id"]


def test_two_step_choice_then_code(live: LiveAPI) -> None:
    first = live.session("2sv")
    assert _outcome(first) == (
        "failed",
        "choice-required",
        {
            "choices": [
                "*******03 - SMS to Phone Number",
                "*******81 - SMS to Phone Number",
                "Sandbox iPhone - Trusted Device",
            ]
        },
        "unvalidated",
    )
    chosen = live.session("2sv", choice=first["error_info"]["choices"][0])
    assert _outcome(chosen) == ("failed", "code-required", None, "unvalidated")
    done = live.session("2sv", code=CODE)
    assert _outcome(done) == ("active", None, None, "active")


def test_a_trusted_source_needs_no_code_the_second_time(live: LiveAPI) -> None:
    live.session("2fa-device")
    live.session("2fa-device", code=CODE)
    again = live.session("2fa-device")
    assert _outcome(again) == ("active", None, None, "active")


def test_poll_mends_an_ended_web_session_with_the_trust_token(live: LiveAPI) -> None:
    session = live.active_session("2fa-device")
    live.sandbox.world.expire_sessions_of(apple_id("2fa-device"))
    poll = live.poll(session["id"], {"info_types": ["*"]})
    assert poll["state"] == "completed" and poll["tasks_failed"] == [], poll["errors"]
    again = live.client.get(f"/sessions/{session['id']}", headers=live.headers).json()
    assert again["state"] == "active"
    assert live.events("session", "expired") == []


def test_session_expires_when_apple_ends_it_for_good(live: LiveAPI) -> None:
    session = live.active_session("2fa-device")
    # Apple ends the web session, forgets the sign-in's session token and the trust token:
    # nothing the client holds can mint a new web session without a new code.
    world = live.sandbox.world
    world.expire_sessions_of(apple_id("2fa-device"))
    world.sign_ins.end_sign_ins(apple_id("2fa-device"))
    world.sign_ins.revoke_trust(apple_id("2fa-device"))
    poll = live.poll(session["id"], {"data_types": ["icpl.photos"]})
    assert poll["state"] == "completed"
    assert [e["error"] for e in poll["errors"]["data"]] == ["session-expired"]
    expired = live.client.get(f"/sessions/{session['id']}", headers=live.headers).json()
    assert (expired["state"], expired["error"]) == ("expired", "session-expired")
    # Refused before its trust's horizon: Apple does not say why, so ``revoked``.
    assert expired["error_info"] == {"reason": "revoked"}
    assert expired["date_expired"] is not None
    assert [e["id"] for e in live.events("session", "expired")] == [session["id"]]
    refused = live.client.post(
        "/polls",
        json={"session": session["id"], "payload": {"info_types": ["*"]}},
        headers=live.headers,
    )
    assert refused.status_code == 400 and refused.json()["error"] == "session-expired"


def test_delete_logs_out_and_destroys_the_stored_state(live: LiveAPI) -> None:
    session = live.active_session("2fa-device")
    with transaction(live.settings.database_url) as db:
        row = db.scalars(select(Session).where(Session.id == session["id"])).one()
        assert row.state_sealed and row.state_key_id
    deleted = live.client.delete(f"/sessions/{session['id']}", headers=live.tenant.headers)
    assert deleted.status_code == 200 and deleted.json()["state"] == "expired"
    with transaction(live.settings.database_url) as db:
        row = db.scalars(select(Session).where(Session.id == session["id"])).one()
        source = db.scalars(select(Source).where(Source.id == row.source_id)).one()
        sealed = [row.state_sealed, row.state_key_id, source.trust_sealed, source.trust_key_id]
        sealed += [source.login_sealed, source.login_key_id]
        assert sealed == [None] * 6
    # The logout job told Apple (it runs after the DELETE answered).
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and not _logged_out(live):
        time.sleep(0.1)
    assert _logged_out(live)
    # With the trust gone, the next login of that account asks for a code again.
    assert live.session("2fa-device")["error"] == "code-required"
