"""Differential tests: unmodified pyicloud and cloudtap's own client read the same sandbox
account through the same TLS proxy, and must agree item by item.

Each data type has a driver in ``drivers/`` that prints pyicloud's view as one JSON line.
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from cloudtap.icloud.client.connector import ICloudConnector
from cloudtap.icloud.connector import JSONDict, TransportOptions
from cloudtap.sandbox.runtime import RunningSandbox
from tests.icloud.client.conftest import PASSWORD, apple_id
from tests.icloud.datatypes.sandbox_session import items, session
from tests.sandbox.compat.conftest import PYICLOUD, client_env
from tests.support.sandbox import live_sandbox
from tests.support.venvs import client_venv

DRIVERS = Path(__file__).parent / "drivers"


@pytest.fixture(scope="session")
def pyicloud_venv() -> Path:
    return client_venv("pyicloud", PYICLOUD)


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningSandbox]:
    with live_sandbox(tmp_path_factory.mktemp("differential-sandbox")) as running:
        yield running


def pyicloud_view(
    venv: Path, driver: str, args: list[str], sandbox: RunningSandbox, home: Path
) -> Any:
    """Run ``drivers/<driver>`` with pyicloud through the sandbox; the JSON line it printed."""
    result = subprocess.run(
        [str(venv / "bin" / "python"), str(DRIVERS / driver), *args],
        env=client_env(sandbox, home),
        capture_output=True,
        text=True,
        timeout=300,
    )
    lines = [line for line in result.stdout.splitlines() if line.startswith(("{", "["))]
    assert lines, f"driver printed nothing\nstdout:{result.stdout}\nstderr:{result.stderr[-4000:]}"
    return json.loads(lines[-1])


def pyicloud_account_view(
    venv: Path, driver: str, name: str, sandbox: RunningSandbox, home: Path
) -> Any:
    """``drivers/<driver>`` logged into sandbox account ``name``, its cookies under ``home``."""
    return pyicloud_view(
        venv, driver, [apple_id(name), PASSWORD, str(home / "cookies")], sandbox, home
    )


async def cloudtap_view(sandbox: RunningSandbox, name: str, data_type: str) -> list[JSONDict]:
    """Every ``data_type`` item of sandbox account ``name``, read by cloudtap's own client."""
    connector = ICloudConnector(
        TransportOptions(proxy_url=sandbox.proxy_url, ca_file=str(sandbox.ca_file))
    )
    return await items(connector, await session(connector, name), data_type)
