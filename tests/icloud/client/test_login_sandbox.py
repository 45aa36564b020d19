"""Every sign-in scenario, end to end through the sandbox's real TLS proxy."""

from __future__ import annotations

import logging

import pytest

from cloudtap.icloud import errors
from cloudtap.icloud.auth import flow
from cloudtap.icloud.client.connector import ICloudConnector
from cloudtap.icloud.connector import Credentials, LoginOutcome
from cloudtap.sandbox.runtime import RunningSandbox
from tests.icloud.client.conftest import CODE, PASSWORD, RequestLog, apple_id


async def _login(
    connector: ICloudConnector, name: str, state: dict | None = None, **fields: str
) -> LoginOutcome:
    return await connector.login(Credentials(apple_id(name), **fields), state)


@pytest.mark.parametrize("name", ["no2fa", "s2kfo", "repair", "shared"])
async def test_password_only_accounts_become_active(connector: ICloudConnector, name: str) -> None:
    outcome = await _login(connector, name, password=PASSWORD)
    assert (outcome.state, outcome.error) == ("active", None)
    assert outcome.account["apple_id"] == apple_id(name)
    assert outcome.account["dsid"]
    assert outcome.session_state and outcome.session_state["kind"] == "session"


@pytest.mark.parametrize(
    ("name", "password", "error"),
    [
        ("no2fa", "wrong-password", "invalid-credentials"),
        ("nobody", PASSWORD, "invalid-credentials"),
        ("locked", PASSWORD, "account-locked"),
        ("throttled", PASSWORD, "rate-limited"),
        ("adp", PASSWORD, "adp-enabled"),
        ("security-key", PASSWORD, "mfa-unsupported"),
        ("terms", PASSWORD, "terms-update-required"),
    ],
)
async def test_failures_have_stable_codes(
    connector: ICloudConnector, name: str, password: str, error: str
) -> None:
    outcome = await _login(connector, name, password=password)
    assert (outcome.state, outcome.error) == ("failed", error)


async def test_throttling_is_not_retried(
    connector: ICloudConnector, requests_made: RequestLog
) -> None:
    outcome = await _login(connector, "throttled", password=PASSWORD)
    assert outcome.error == "rate-limited"
    assert len([u for u in requests_made.urls if "signin" in u]) == 1


async def test_china_account_switches_domain(
    connector: ICloudConnector, requests_made: RequestLog
) -> None:
    outcome = await _login(connector, "china", password=PASSWORD)
    assert outcome.state == "active"
    assert outcome.account["china"] is True
    assert any("setup.icloud.com.cn" in url for url in requests_made.urls)


# Where the first code goes: the trusted device, or an SMS to Apple's default phone.
SENT_TO = {
    "2fa-device": "Trusted Device",
    "2fa-sms": "+1 (•••) •••-••81 - SMS to Phone Number",
}


@pytest.mark.parametrize("name", ["2fa-device", "2fa-sms"])
async def test_2fa_code_completes_the_same_login_and_trust_is_reused(
    connector: ICloudConnector, requests_made: RequestLog, name: str
) -> None:
    first = await _login(connector, name, password=PASSWORD)
    assert (first.state, first.error) == ("failed", "code-required")
    assert first.error_info and first.error_info["sent_to"] == SENT_TO[name]
    assert first.session_state and first.session_state["kind"] == "pending"

    wrong = await _login(connector, name, first.session_state, password=PASSWORD, code="000000")
    assert (wrong.state, wrong.error) == ("failed", "code-invalid")

    requests_made.clear()
    done = await _login(connector, name, wrong.session_state, password=PASSWORD, code=CODE)
    assert (done.state, done.error) == ("active", None)
    # The code finished the pending login: no new SRP exchange was started.
    assert not any("signin/init" in url for url in requests_made.urls)
    assert done.session_state and done.session_state["session"]["trust_token"]

    # A later session of the same source: the trust token spares the code.
    again = await _login(connector, name, done.session_state, password=PASSWORD)
    assert (again.state, again.error) == ("active", None)


async def test_2sv_choice_then_code(connector: ICloudConnector) -> None:
    first = await _login(connector, "2sv", password=PASSWORD)
    assert (first.state, first.error) == ("failed", "choice-required")
    assert first.error_info == {
        "choices": [
            "*******03 - SMS to Phone Number",
            "*******81 - SMS to Phone Number",
            "Sandbox iPhone - Trusted Device",
        ]
    }
    chose = await _login(
        connector,
        "2sv",
        first.session_state,
        password=PASSWORD,
        choice="*******03 - SMS to Phone Number",
    )
    assert (chose.state, chose.error) == ("failed", "code-required")
    wrong = await _login(connector, "2sv", chose.session_state, password=PASSWORD, code="999999")
    assert wrong.error == "code-invalid"
    done = await _login(connector, "2sv", wrong.session_state, password=PASSWORD, code=CODE)
    assert (done.state, done.error) == ("active", None)


async def test_2sv_unknown_choice(connector: ICloudConnector) -> None:
    first = await _login(connector, "2sv", password=PASSWORD)
    bad = await _login(connector, "2sv", first.session_state, password=PASSWORD, choice="nope")
    assert (bad.state, bad.error) == ("failed", "choice-invalid")
    assert bad.error_info and len(bad.error_info["choices"]) == 3


async def test_a_stale_pending_login_expires(
    connector: ICloudConnector, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = await _login(connector, "2fa-device", password=PASSWORD)
    monkeypatch.setattr(flow, "PENDING_LOGIN_TTL", -1.0)
    late = await _login(connector, "2fa-device", first.session_state, password=PASSWORD, code=CODE)
    assert (late.state, late.error) == ("failed", "login-expired")


async def test_expired_web_session_is_renewed_without_password(
    connector: ICloudConnector, sandbox: RunningSandbox
) -> None:
    outcome = await _login(connector, "no2fa", password=PASSWORD)
    assert outcome.session_state
    sandbox.world.expire_sessions_of(apple_id("no2fa"))
    renewed = await connector.validate(outcome.session_state)
    assert renewed["kind"] == "session"
    info = await connector.fetch_info(renewed, "icloud.account.info")
    assert info["apple_id"] == apple_id("no2fa")


async def test_session_that_cannot_be_renewed_is_expired(
    connector: ICloudConnector, sandbox: RunningSandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    from cloudtap.sandbox.apple import signins

    outcome = await _login(connector, "no2fa", password=PASSWORD)
    assert outcome.session_state
    sandbox.world.expire_sessions_of(apple_id("no2fa"))
    monkeypatch.setattr(signins, "SIGN_IN_TTL", -1.0)
    with pytest.raises(errors.SessionExpired):
        await connector.validate(outcome.session_state)


async def test_no_secret_reaches_the_logs(
    connector: ICloudConnector, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    first = await _login(connector, "2fa-device", password=PASSWORD)
    done = await _login(connector, "2fa-device", first.session_state, password=PASSWORD, code=CODE)
    assert done.session_state
    session = done.session_state["session"]
    secrets = [PASSWORD, CODE, session["session_token"], session["trust_token"], session["scnt"]]
    secrets += [cookie["value"] for cookie in session["cookies"] if len(cookie["value"]) > 8]
    logged = caplog.text + "".join(repr(r.args) for r in caplog.records)
    assert caplog.records, "the login should have logged something"
    for secret in secrets:
        assert secret not in logged


async def test_logout_ends_the_web_session(connector: ICloudConnector) -> None:
    outcome = await _login(connector, "no2fa", password=PASSWORD)
    assert outcome.session_state
    await connector.logout(outcome.session_state)
    await connector.logout({"kind": "garbage"})  # nothing to do, no error


@pytest.mark.parametrize(
    "garbage",
    [
        {"kind": "pending", "started": "soon", "session": {"apple_id": apple_id("no2fa")}},
        {"kind": "pending", "devices": 7, "session": {"apple_id": apple_id("no2fa")}},
        {"kind": "session", "session": {"apple_id": apple_id("no2fa"), "webservices": 3}},
        {"kind": "session", "session": "nope"},
        {"session": {"apple_id": apple_id("2fa-device"), "trust_token": "forged"}},
    ],
)
async def test_malformed_saved_state_is_ignored(connector: ICloudConnector, garbage: dict) -> None:
    outcome = await _login(connector, "no2fa", garbage, password=PASSWORD, code=CODE)
    assert (outcome.state, outcome.error) == ("active", None)
    with pytest.raises(errors.SessionExpired):
        await connector.validate(garbage)


async def test_code_without_a_login_in_progress_starts_one(connector: ICloudConnector) -> None:
    outcome = await _login(connector, "2fa-sms", None, password=PASSWORD, code=CODE)
    assert (outcome.state, outcome.error) == ("active", None)


async def test_a_wrong_first_code_still_leaves_a_login_to_finish(
    connector: ICloudConnector, requests_made: RequestLog
) -> None:
    wrong = await _login(connector, "2fa-device", None, password=PASSWORD, code="000000")
    assert (wrong.state, wrong.error) == ("failed", "code-invalid")
    assert wrong.session_state and wrong.session_state["kind"] == "pending"
    requests_made.clear()
    done = await _login(connector, "2fa-device", wrong.session_state, password=PASSWORD, code=CODE)
    assert done.state == "active"
    assert not any("signin" in url for url in requests_made.urls)
