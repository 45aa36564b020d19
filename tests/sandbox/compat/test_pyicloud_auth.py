"""Unmodified pyicloud 2026.10.1 signs in to the sandbox through the TLS proxy."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from cloudtap.sandbox.accounts.scenarios import CODE, PASSWORD
from cloudtap.sandbox.runtime import RunningSandbox
from tests.sandbox.compat.conftest import run_driver

pytestmark = pytest.mark.compat


def login(venv: Path, sandbox: RunningSandbox, tmp_path: Path, *args: str) -> dict[str, Any]:
    cookies = tmp_path / "cookies"
    return run_driver(
        venv, "pyicloud_auth.py", [args[0], args[1], str(cookies), *args[2:]], sandbox, tmp_path
    )


def served_since(sandbox: RunningSandbox, start: int) -> list[str]:
    return [f"{e.status} {e.method} {e.path}" for e in sandbox.exchanges()[start:]]


def test_srp_login_without_2fa(
    pyicloud_venv: Path, sandbox: RunningSandbox, tmp_path: Path
) -> None:
    out = login(pyicloud_venv, sandbox, tmp_path, "no2fa@sandbox.cloudtap.dev", PASSWORD)
    account = sandbox.world.account("no2fa@sandbox.cloudtap.dev")
    assert account is not None
    assert out["requires_2fa"] is False and out["requires_2sa"] is False
    assert out["is_trusted_session"] is True
    assert out["dsid"] == account.dsid
    assert {"ckdatabasews", "contacts", "calendar", "findme", "account"} <= set(out["webservices"])

    # A second run reuses the saved cookies: /validate, no new SRP sign-in.
    start = len(sandbox.exchanges())
    again = login(pyicloud_venv, sandbox, tmp_path, "no2fa@sandbox.cloudtap.dev", PASSWORD)
    assert again["is_trusted_session"] is True
    seen = served_since(sandbox, start)
    assert "200 POST /setup/ws/1/validate" in seen
    assert not any("signin/init" in line for line in seen)


def test_srp_login_with_s2k_fo(
    pyicloud_venv: Path, sandbox: RunningSandbox, tmp_path: Path
) -> None:
    out = login(pyicloud_venv, sandbox, tmp_path, "s2kfo@sandbox.cloudtap.dev", PASSWORD)
    assert out["is_trusted_session"] is True


def test_2fa_by_trusted_device_code(
    pyicloud_venv: Path, sandbox: RunningSandbox, tmp_path: Path
) -> None:
    start = len(sandbox.exchanges())
    out = login(
        pyicloud_venv,
        sandbox,
        tmp_path,
        "2fa-device@sandbox.cloudtap.dev",
        PASSWORD,
        CODE,
        "--wrong-code-first",
    )
    assert out["requires_2fa"] is True
    # No bridge is advertised, so pyicloud asks for the code shown on a trusted device.
    assert out["delivery"] == "unknown"
    assert out["wrong_code_accepted"] is False
    assert out["code_accepted"] is True
    assert out["is_trusted_session"] is True
    assert "ckdatabasews" in out["webservices"]
    seen = served_since(sandbox, start)
    assert "409 POST /appleauth/auth/signin/complete" in seen
    assert "400 POST /appleauth/auth/verify/trusteddevice/securitycode" in seen
    assert "204 POST /appleauth/auth/verify/trusteddevice/securitycode" in seen
    assert "204 GET /appleauth/auth/2sv/trust" in seen


def test_trust_token_skips_2fa_on_next_login(
    pyicloud_venv: Path, sandbox: RunningSandbox, tmp_path: Path
) -> None:
    apple_id = "2fa-device@sandbox.cloudtap.dev"
    first = login(pyicloud_venv, sandbox, tmp_path, apple_id, PASSWORD, CODE)
    assert first["is_trusted_session"] is True
    # Apple ends the web session and the session token: only the trust token is left.
    sandbox.world.expire_sessions_of(apple_id)
    sandbox.world.sign_ins.end_sign_ins(apple_id)
    start = len(sandbox.exchanges())
    second = login(pyicloud_venv, sandbox, tmp_path, apple_id, PASSWORD)
    assert second["requires_2fa"] is False
    assert second["is_trusted_session"] is True
    seen = [f"{e.status} {e.method} {e.path}" for e in sandbox.exchanges()[start:]]
    assert "200 POST /appleauth/auth/signin/complete" in seen
    assert not any("/verify/" in line for line in seen)


def test_2fa_by_sms(pyicloud_venv: Path, sandbox: RunningSandbox, tmp_path: Path) -> None:
    start = len(sandbox.exchanges())
    out = login(pyicloud_venv, sandbox, tmp_path, "2fa-sms@sandbox.cloudtap.dev", PASSWORD, CODE)
    assert out["requires_2fa"] is True
    assert out["delivery"] == "sms"
    assert out["code_accepted"] is True
    assert out["is_trusted_session"] is True
    seen = served_since(sandbox, start)
    assert "200 PUT /appleauth/auth/verify/phone" in seen
    assert "204 POST /appleauth/auth/verify/phone/securitycode" in seen


def test_legacy_2sa(pyicloud_venv: Path, sandbox: RunningSandbox, tmp_path: Path) -> None:
    start = len(sandbox.exchanges())
    out = login(
        pyicloud_venv,
        sandbox,
        tmp_path,
        "2sv@sandbox.cloudtap.dev",
        PASSWORD,
        CODE,
        "--wrong-code-first",
    )
    assert out["requires_2sa"] is True
    assert out["hsa_version"] == 1
    devices = out["devices"]
    assert isinstance(devices, list) and len(devices) == 3
    assert devices[0]["deviceType"] == "SMS"
    assert out["code_sent"] is True
    assert out["wrong_code_accepted"] is False
    assert out["code_accepted"] is True
    assert out["is_trusted_session"] is True
    seen = served_since(sandbox, start)
    assert "200 GET /setup/ws/1/listDevices" in seen
    assert "200 POST /setup/ws/1/sendVerificationCode" in seen
    assert seen.count("200 POST /setup/ws/1/validateVerificationCode") == 2


def test_security_key_only_account_asks_for_a_key(
    pyicloud_venv: Path, sandbox: RunningSandbox, tmp_path: Path
) -> None:
    out = login(pyicloud_venv, sandbox, tmp_path, "security-key@sandbox.cloudtap.dev", PASSWORD)
    assert out["requires_2fa"] is True
    assert out["delivery"] == "security_key"
    assert out["security_key_names"]


@pytest.mark.parametrize(
    ("apple_id", "password", "error"),
    [
        ("no2fa@sandbox.cloudtap.dev", "not-the-password", "PyiCloudFailedLoginException"),
        ("nobody@sandbox.cloudtap.dev", PASSWORD, "PyiCloudFailedLoginException"),
        ("locked@sandbox.cloudtap.dev", PASSWORD, "PyiCloudAccountLockedException"),
        ("throttled@sandbox.cloudtap.dev", PASSWORD, "PyiCloudFailedLoginException"),
        ("terms@sandbox.cloudtap.dev", PASSWORD, "PyiCloudAcceptTermsException"),
    ],
)
def test_refused_logins(
    pyicloud_venv: Path,
    sandbox: RunningSandbox,
    tmp_path: Path,
    apple_id: str,
    password: str,
    error: str,
) -> None:
    out = login(pyicloud_venv, sandbox, tmp_path, apple_id, password)
    assert out["error"] == error


def test_terms_accepted_then_login(
    pyicloud_venv: Path, sandbox: RunningSandbox, tmp_path: Path
) -> None:
    out = login(pyicloud_venv, sandbox, tmp_path, "terms@sandbox.cloudtap.dev", PASSWORD, "--terms")
    assert out["is_trusted_session"] is True


def test_china_account_on_cn_hosts(
    pyicloud_venv: Path, sandbox: RunningSandbox, tmp_path: Path
) -> None:
    out = login(pyicloud_venv, sandbox, tmp_path, "china@sandbox.cloudtap.dev", PASSWORD, "--china")
    assert out["is_trusted_session"] is True
