"""Unmodified icloudpy 0.11.0 signs in (it always stretches the password as ``s2k``)."""

from __future__ import annotations

from pathlib import Path

import pytest

from cloudtap.sandbox.accounts.scenarios import CODE, PASSWORD
from cloudtap.sandbox.runtime import RunningSandbox
from tests.sandbox.compat.conftest import run_driver

pytestmark = pytest.mark.compat


def test_login_without_2fa(icloudpy_venv: Path, sandbox: RunningSandbox, tmp_path: Path) -> None:
    args = ["no2fa@sandbox.cloudtap.dev", PASSWORD, str(tmp_path / "cookies")]
    out = run_driver(icloudpy_venv, "icloudpy_auth.py", args, sandbox, tmp_path)
    assert out["requires_2fa"] is False
    assert out["is_trusted_session"] is True
    assert "ckdatabasews" in out["webservices"]


def test_login_with_trusted_device_code(
    icloudpy_venv: Path, sandbox: RunningSandbox, tmp_path: Path
) -> None:
    args = ["2fa-device@sandbox.cloudtap.dev", PASSWORD, str(tmp_path / "cookies"), CODE]
    out = run_driver(icloudpy_venv, "icloudpy_auth.py", args, sandbox, tmp_path)
    assert out["requires_2fa"] is True
    assert out["code_accepted"] is True
    assert out["is_trusted_session"] is True


def test_wrong_password(icloudpy_venv: Path, sandbox: RunningSandbox, tmp_path: Path) -> None:
    args = ["no2fa@sandbox.cloudtap.dev", "wrong", str(tmp_path / "cookies")]
    out = run_driver(icloudpy_venv, "icloudpy_auth.py", args, sandbox, tmp_path)
    assert out["error"] == "ICloudPyFailedLoginException"
