"""Running ``cloudtap serve`` as a real subprocess on a free loopback port."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

REPO = Path(__file__).resolve().parents[2]
TOKEN_LINE = re.compile(r"Token \(shown once\): (ct_(?:sandbox|live)_\S+)")


@dataclass(frozen=True)
class ServedAPI:
    url: str
    token: str
    data_dir: Path
    log_path: Path
    process: subprocess.Popen[str]


def cloudtap_env(data_dir: Path, extra_env: dict[str, str] | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CLOUDTAP_")}
    env.update({"CLOUDTAP_DATA_DIR": str(data_dir), "PYTHONUNBUFFERED": "1", **(extra_env or {})})
    return env


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


# An installed ``cloudtap`` to run instead of this checkout's (the packaging test runs
# the scale-out test against a fresh ``pip install .[postgres,redis,s3]``).
INSTALLED_COMMAND_ENV = "CLOUDTAP_TEST_COMMAND"


def cloudtap_command() -> list[str]:
    installed = os.environ.get(INSTALLED_COMMAND_ENV)
    return [installed] if installed else [sys.executable, "-m", "cloudtap.cli.main"]


def created_key(data_dir: Path, *options: str) -> str:
    """The token ``cloudtap keys create <options>`` printed for ``data_dir``."""
    done = subprocess.run(
        [*cloudtap_command(), "keys", "create", *options],
        env=cloudtap_env(data_dir),
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    return done.stdout.strip().splitlines()[-1]


@contextmanager
def served_api(
    data_dir: Path,
    extra_env: dict[str, str] | None = None,
    expect_token: bool = True,
    extra_args: tuple[str, ...] = (),
    command: list[str] | None = None,
) -> Iterator[ServedAPI]:
    """``command``: what runs instead of ``cloudtap`` (the bench's launcher)."""
    port = free_port()
    env = cloudtap_env(data_dir, extra_env)
    log_path = data_dir.parent / f"serve-{port}.log"  # beside, not inside, the data dir
    data_dir.mkdir(parents=True, exist_ok=True)
    with open(log_path, "w") as log:
        process = subprocess.Popen(
            [
                *(command or cloudtap_command()),
                "serve",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                *extra_args,
            ],
            cwd=REPO,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            text=True,
        )
    try:
        url = f"http://127.0.0.1:{port}"
        token = _wait_ready(url, log_path, process, expect_token)
        yield ServedAPI(url, token, data_dir, log_path, process)
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _wait_ready(
    url: str, log_path: Path, process: subprocess.Popen[str], expect_token: bool
) -> str:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"cloudtap serve exited:\n{log_path.read_text()}")
        match = TOKEN_LINE.search(log_path.read_text())
        if match or not expect_token:
            try:
                if httpx.get(f"{url}/openapi.json", timeout=2).status_code == 200:
                    return match.group(1) if match else ""
            except httpx.HTTPError:
                pass
        time.sleep(0.2)
    raise RuntimeError(f"cloudtap serve did not become ready:\n{log_path.read_text()}")
