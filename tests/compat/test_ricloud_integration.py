"""ricloud-py 3.2.0's own ``tests/test_integration.py``, unmodified, run by pytest in
ricloud's venv against a live ``cloudtap serve`` (its sandbox key)."""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.cli.serve_process import served_api
from tests.support.venvs import client_venv, venv_bin

pytestmark = pytest.mark.compat

VENDORED = Path(__file__).resolve().parents[1] / "fixtures" / "ricloud" / "test_integration.py"
SHA256 = "4ec6396bfe00e24e4303433f68064381806a2845f2a7fff8e933f2b96ee94de4"


def test_ricloud_py_integration_test_passes_unmodified(tmp_path: Path) -> None:
    assert hashlib.sha256(VENDORED.read_bytes()).hexdigest() == SHA256  # as published
    venv = client_venv(
        "ricloud-pytest", ["ricloud==3.2.0", "pytest<9"], build_constraints=["setuptools<81"]
    )
    suite = tmp_path / "suite"
    suite.mkdir()
    shutil.copy(VENDORED, suite / "test_integration.py")
    with served_api(tmp_path / "data") as api:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("RICLOUD_", "CLOUDTAP_"))}
        env.update({"RICLOUD_URL": api.url, "RICLOUD_TOKEN": api.token, "HOME": str(tmp_path)})
        run = subprocess.run(
            [venv_bin(venv, "python"), "-m", "pytest", "-p", "no:cacheprovider", "-v", "."],
            cwd=suite,
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
        )
    assert run.returncode == 0, run.stdout + run.stderr
    assert "test_integration.py::TestIntegration::test_ok PASSED" in run.stdout
