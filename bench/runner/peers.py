"""icloudpd 1.32.3, unmodified, in its own venv: listing and downloading."""

from __future__ import annotations

import hashlib
import subprocess
import time
from pathlib import Path

from bench.runner.processes import SandboxProcess
from tests.support.venvs import client_venv, venv_bin

PASSWORD = "sandbox-password"


def icloudpd() -> str:
    return venv_bin(client_venv("icloudpd", ["icloudpd==1.32.3"]), "icloudpd")


def _run(sandbox: SandboxProcess, apple_id: str, home: Path, *extra: str) -> tuple[float, str]:
    home.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    out = subprocess.run(
        [
            icloudpd(),
            *("--username", apple_id, "--password", PASSWORD),
            *("--directory", str(home / "photos"), "--cookie-directory", str(home / "cookies")),
            "--no-progress-bar",
            *extra,
        ],
        env=sandbox.client_env(home),
        capture_output=True,
        text=True,
        timeout=3600,
    )
    seconds = time.perf_counter() - started
    if out.returncode != 0:
        raise RuntimeError(f"icloudpd failed: {(out.stdout + out.stderr)[-2000:]}")
    return seconds, out.stdout


def listing(sandbox: SandboxProcess, apple_id: str, home: Path) -> tuple[float, int]:
    """The whole process (login included) listing every asset: (seconds, assets)."""
    seconds, stdout = _run(sandbox, apple_id, home, "--only-print-filenames", "--skip-live-photos")
    names = [line for line in stdout.splitlines() if line.strip() and "/" in line]
    return seconds, len(names)


def download(
    sandbox: SandboxProcess, apple_id: str, home: Path, assets: int
) -> tuple[float, dict[str, tuple[int, str]]]:
    """``--recent N``: originals and live-photo videos, login and listing included.

    Returns (seconds, {file name: (size, md5)}).
    """
    seconds, _ = _run(sandbox, apple_id, home, "--recent", str(assets))
    files = {}
    for path in sorted((home / "photos").rglob("*")):
        if path.is_file():
            data = path.read_bytes()
            files[path.name] = (len(data), hashlib.md5(data).hexdigest())
    return seconds, files
