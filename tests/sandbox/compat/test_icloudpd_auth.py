"""The icloudpd 1.32.3 binary from PyPI signs in to a no-2FA sandbox account.

Its frozen binary trusts only its bundled certifi for some 2FA calls, so no-2FA (and
already-trusted) sessions are what it must handle through the proxy; the Photos tests
drive its full download.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from cloudtap.sandbox.accounts.scenarios import CODE, PASSWORD
from cloudtap.sandbox.runtime import RunningSandbox
from tests.sandbox.compat.conftest import client_env, run_driver

pytestmark = pytest.mark.compat


def auth_only(venv: Path, sandbox: RunningSandbox, home: Path, apple_id: str) -> str:
    result = subprocess.run(
        [
            str(venv / "bin" / "icloudpd"),
            "--username",
            apple_id,
            "--password",
            PASSWORD,
            "--auth-only",
            "--cookie-directory",
            str(home / "cookies"),
            "--no-progress-bar",
        ],
        env=client_env(sandbox, home),
        capture_output=True,
        text=True,
        timeout=180,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-4000:]
    return output


def paths_since(sandbox: RunningSandbox, start: int) -> list[str]:
    return [f"{e.status} {e.method} {e.host}{e.path}" for e in sandbox.exchanges()[start:]]


def test_no_2fa_login_then_session_reuse(
    icloudpd_venv: Path, sandbox: RunningSandbox, tmp_path: Path
) -> None:
    start = len(sandbox.exchanges())
    output = auth_only(icloudpd_venv, sandbox, tmp_path, "no2fa@sandbox.cloudtap.dev")
    assert "Authentication completed successfully" in output
    first = paths_since(sandbox, start)
    assert "200 POST idmsa.apple.com/appleauth/auth/signin/init" in first
    assert "200 POST idmsa.apple.com/appleauth/auth/signin/complete" in first
    assert "200 POST setup.icloud.com/setup/ws/1/accountLogin" in first

    # The saved cookies are reused: icloudpd validates instead of signing in again.
    start = len(sandbox.exchanges())
    output = auth_only(icloudpd_venv, sandbox, tmp_path, "no2fa@sandbox.cloudtap.dev")
    assert "Authentication completed successfully" in output
    second = paths_since(sandbox, start)
    assert "200 POST setup.icloud.com/setup/ws/1/validate" in second
    assert not any("signin/init" in line for line in second)


def test_repair_412_is_completed(
    icloudpd_venv: Path, sandbox: RunningSandbox, tmp_path: Path
) -> None:
    start = len(sandbox.exchanges())
    auth_only(icloudpd_venv, sandbox, tmp_path, "repair@sandbox.cloudtap.dev")
    seen = paths_since(sandbox, start)
    assert "412 POST idmsa.apple.com/appleauth/auth/signin/complete" in seen
    assert "200 POST idmsa.apple.com/appleauth/auth/repair/complete" in seen
    assert "200 POST setup.icloud.com/setup/ws/1/accountLogin" in seen


def test_2fa_account_with_a_session_trusted_by_pyicloud(
    icloudpd_venv: Path, pyicloud_venv: Path, sandbox: RunningSandbox, tmp_path: Path
) -> None:
    """The binary cannot do fresh 2FA through a proxy, but it reuses a trusted session.

    pyicloud does the 2FA and writes the same session files (icloudpd's cookie jar just
    has no extension); icloudpd then validates the cookies, and once the web session is
    gone it signs in again with the saved trust token and skips the second factor.
    """
    apple_id = "2fa-device@sandbox.cloudtap.dev"
    cookies = tmp_path / "cookies"
    out = run_driver(
        pyicloud_venv,
        "pyicloud_auth.py",
        [apple_id, PASSWORD, str(cookies), CODE],
        sandbox,
        tmp_path,
    )
    assert out["is_trusted_session"] is True
    for jar in cookies.glob("*.cookiejar"):
        shutil.copy(jar, jar.with_suffix(""))

    start = len(sandbox.exchanges())
    auth_only(icloudpd_venv, sandbox, tmp_path, apple_id)
    assert paths_since(sandbox, start) == ["200 POST setup.icloud.com/setup/ws/1/validate"]

    sandbox.world.expire_sessions_of(apple_id)
    sandbox.world.sign_ins.end_sign_ins(apple_id)
    start = len(sandbox.exchanges())
    auth_only(icloudpd_venv, sandbox, tmp_path, apple_id)
    seen = paths_since(sandbox, start)
    assert "421 POST setup.icloud.com/setup/ws/1/validate" in seen
    assert "200 POST idmsa.apple.com/appleauth/auth/signin/complete" in seen
    assert not any("/verify/" in line for line in seen)
