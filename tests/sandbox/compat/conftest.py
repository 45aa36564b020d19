"""A live sandbox proxy and the third-party client venvs the compatibility tests drive."""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from cloudtap.config import Settings
from cloudtap.sandbox.runtime import RunningSandbox, start_sandbox
from tests.support.venvs import client_venv

DRIVERS = Path(__file__).parent / "drivers"
PYICLOUD = ["pyicloud==2026.10.1"]
ICLOUDPY = ["icloudpy==0.11.0"]
ICLOUDPD = ["icloudpd==1.32.3"]


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningSandbox]:
    data_dir = tmp_path_factory.mktemp("sandbox-data")
    running = start_sandbox(Settings.from_env({"CLOUDTAP_DATA_DIR": str(data_dir)}))
    try:
        yield running
    finally:
        running.close()


def client_env(sandbox: RunningSandbox, home: Path) -> dict[str, str]:
    """The client's environment: proxy + CA, and a HOME of its own (icloudpd ~/.pyicloud)."""
    env = {k: v for k, v in os.environ.items() if not k.lower().endswith("_proxy")}
    env.update(sandbox.client_env())
    env["HOME"] = str(home)
    return env


def run_driver(
    venv: Path, driver: str, args: list[str], sandbox: RunningSandbox, home: Path
) -> dict[str, Any]:
    """Run ``drivers/<driver>`` in ``venv``; return the JSON line it printed."""
    result = subprocess.run(
        [str(venv / "bin" / "python"), str(DRIVERS / driver), *args],
        env=client_env(sandbox, home),
        capture_output=True,
        text=True,
        timeout=180,
    )
    lines = [line for line in result.stdout.splitlines() if line.startswith("{")]
    assert lines, f"driver printed nothing\nstdout:{result.stdout}\nstderr:{result.stderr[-4000:]}"
    return dict(json.loads(lines[-1]))


@pytest.fixture(scope="session")
def pyicloud_venv() -> Path:
    return client_venv("pyicloud", PYICLOUD)


@pytest.fixture(scope="session")
def icloudpy_venv() -> Path:
    return client_venv("icloudpy", ICLOUDPY)


@pytest.fixture(scope="session")
def icloudpd_venv() -> Path:
    return client_venv("icloudpd", ICLOUDPD)
