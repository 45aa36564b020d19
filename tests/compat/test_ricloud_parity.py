"""Issue 12's ricloud flows, each driven by the real ricloud 3.2.0 client or CLI (its own
venv) against a live ``cloudtap serve`` with the built-in sandbox."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.cli.serve_process import ServedAPI, served_api
from tests.support.venvs import client_venv, venv_bin

pytestmark = pytest.mark.compat

DOMAIN = "sandbox.cloudtap.dev"
PASSWORD = "sandbox-password"
CODE = "123456"


@pytest.fixture(scope="module")
def venv() -> Path:
    return client_venv("ricloud", ["ricloud==3.2.0"], build_constraints=["setuptools<81"])


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServedAPI]:
    extra_env = {"CLOUDTAP_SUBSCRIPTION_MIN_INTERVAL": "3600"}
    with served_api(tmp_path_factory.mktemp("parity") / "data", extra_env=extra_env) as served:
        yield served


def client_env(api: ServedAPI, home: Path, token: str | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("RICLOUD_", "CLOUDTAP_"))}
    env.update(
        {
            "RICLOUD_URL": api.url,
            "RICLOUD_TOKEN": token or api.token,
            "RICLOUD_AWAIT_FOR": "30",
            "HOME": str(home),
        }
    )
    return env


def run_cli(
    venv: Path, api: ServedAPI, home: Path, *args: str, stdin: str = "", check: bool = True
) -> subprocess.CompletedProcess[str]:
    run = subprocess.run(
        [venv_bin(venv, "ricloud"), *args],
        env=client_env(api, home),
        input=stdin,
        capture_output=True,
        text=True,
        timeout=240,
    )
    if check:
        assert run.returncode == 0, run.stdout + run.stderr
    return run


def get(api: ServedAPI, path: str, token: str | None = None) -> Any:
    response = httpx.get(
        f"{api.url}{path}", headers={"Authorization": f"Token {token or api.token}"}, timeout=30
    )
    assert response.status_code == 200, response.text
    return response.json()


def test_a_mistyped_code_is_asked_again_by_the_cli(
    venv: Path, api: ServedAPI, tmp_path: Path
) -> None:
    apple_id = f"2fa-sms@{DOMAIN}"
    run = run_cli(
        venv,
        api,
        tmp_path,
        *("icloud", "session", "create", apple_id, "--icloud-password", PASSWORD),
        stdin=f"000000\n{CODE}\n",
    )
    assert "Invalid code provided. Retrying..." in run.stdout
    assert "Session created" in run.stdout
    sessions = [
        s for s in get(api, "/sessions?limit=100")["data"] if s["source"]["identifier"] == apple_id
    ]
    outcomes = sorted(
        (s["state"], s["error"] or "", (s["error_info"] or {}).get("reason", "")) for s in sessions
    )
    # First attempt: a code is needed; the mistyped code: needed again, and why; then active.
    assert outcomes == [
        ("active", "", ""),
        ("failed", "code-required", ""),
        ("failed", "code-required", "code-invalid"),
    ]
