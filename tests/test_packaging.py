"""``pip install .`` in a fresh virtualenv: the embedded default, the sandbox and ``pull``
work without any extra; a missing extra is one line naming it; with
``[postgres,redis,s3]`` the scale-out test passes against the installed package."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from tests.cli.serve_process import INSTALLED_COMMAND_ENV, REPO, cloudtap_env, served_api
from tests.support.venvs import _uv

pytestmark = pytest.mark.slow

SCALE_OUT_TEST = (
    "tests/cli/test_worker.py::test_two_workers_never_overlap_logins_and_share_one_sandbox"
)


def install(venv: Path, requirement: str) -> None:
    subprocess.run(
        [_uv(), "pip", "install", "--quiet", "--python", str(venv / "bin" / "python"), requirement],
        check=True,
        timeout=600,
    )


def importable(venv: Path, module: str) -> bool:
    probe = subprocess.run([str(venv / "bin" / "python"), "-c", f"import {module}"], cwd="/")
    return probe.returncode == 0


def test_a_plain_install_serves_pulls_and_names_missing_extras(tmp_path: Path) -> None:
    venv = tmp_path / "venv"
    subprocess.run([_uv(), "venv", "--quiet", "--python", sys.executable, str(venv)], check=True)
    install(venv, str(REPO))
    cloudtap = str(venv / "bin" / "cloudtap")
    assert not [m for m in ("redis", "psycopg", "boto3", "pytest") if importable(venv, m)]

    version = subprocess.run([cloudtap, "--version"], capture_output=True, text=True, check=True)
    assert version.stdout.startswith("cloudtap ")

    refused = subprocess.run(
        [cloudtap, "worker"],
        env=cloudtap_env(tmp_path / "w", {"CLOUDTAP_QUEUE_URL": "redis://127.0.0.1:1/0"}),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert refused.returncode == 2
    assert refused.stderr.strip().splitlines() == [
        "cloudtap: a Redis queue (CLOUDTAP_QUEUE_URL=redis://…) needs cloudtap's [redis] "
        "extra: pip install 'cloudtap[redis]'"
    ]

    # serve on the embedded default, from the installed package (not this checkout).
    os.environ[INSTALLED_COMMAND_ENV] = cloudtap
    try:
        with served_api(tmp_path / "data") as api:
            headers = {"Authorization": f"Token {api.token}"}
            organisation = httpx.get(f"{api.url}/organisation", headers=headers)
            assert organisation.status_code == 200
            assert httpx.get(f"{api.url}/dashboard/sign-in").status_code == 200
    finally:
        del os.environ[INSTALLED_COMMAND_ENV]

    pulled = subprocess.run(
        [cloudtap, "pull", "--sandbox", "--to", str(tmp_path / "pull"), "--data-types",
         "fmip.devices"],
        env=cloudtap_env(tmp_path / "pull-data", {"CLOUDTAP_PULL_KEY_DIR": str(tmp_path / "keys")}),
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
    )  # fmt: skip
    assert pulled.returncode == 0, pulled.stdout + pulled.stderr
    assert (tmp_path / "pull" / "manifest.json").exists()

    install(venv, f"{REPO}[postgres,redis,s3]")
    assert all(importable(venv, m) for m in ("redis", "psycopg", "boto3"))
    scale_out = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", SCALE_OUT_TEST],
        cwd=REPO,
        env={**os.environ, INSTALLED_COMMAND_ENV: cloudtap},
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert scale_out.returncode == 0, scale_out.stdout[-8000:]
    assert "1 passed" in scale_out.stdout
