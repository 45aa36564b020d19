"""cloudtap's iCloud client against pyicloud and icloudpd, listing the same library.

Starts the sandbox as a separate process (`cloudtap sandbox serve`, with an Apple-like
round-trip latency added to every request), then logs in and lists every asset of a
large library with each client, through the same TLS proxy:

- cloudtap: ``ICloudConnector.fetch_items("icpl.photos")``, pages fetched concurrently;
- pyicloud 2026.10.1: ``PyiCloudService(...).photos.all``, iterated;
- icloudpd 1.32.3: ``--only-print-filenames`` (lists, downloads nothing).

Each peer runs unmodified in its own venv. Prints one table with seconds, assets/s and
the ratio to cloudtap. Usage:

    .venv/bin/python bench/compare_photo_listing.py [--account photos-10k] [--latency-ms 50]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bench.runner.processes import peer_env  # noqa: E402
from cloudtap.icloud.client.connector import ICloudConnector  # noqa: E402
from cloudtap.icloud.connector import Credentials, Filters, TransportOptions  # noqa: E402
from tests.support.venvs import client_venv  # noqa: E402

PASSWORD = "sandbox-password"


class SandboxProcess:
    def __init__(self, data_dir: Path, latency_ms: int) -> None:
        env = {**os.environ, "CLOUDTAP_DATA_DIR": str(data_dir)}
        env["CLOUDTAP_SANDBOX_LATENCY_MS"] = str(latency_ms)
        self.proc = subprocess.Popen(
            [str(REPO / ".venv" / "bin" / "cloudtap"), "sandbox", "serve"],
            env=env,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self.proc.stdout is not None
        lines: list[str] = []
        while len(lines) < 2:
            line = self.proc.stdout.readline()
            if not line:
                raise RuntimeError("sandbox exited before printing its address")
            lines.append(line)
        text = "".join(lines)
        self.proxy_url = re.search(r"sandbox proxy: (\S+)", text).group(1)  # type: ignore[union-attr]
        self.ca_file = re.search(r"CA certificate: (\S+)", text).group(1)  # type: ignore[union-attr]

    def client_env(self, home: Path) -> dict[str, str]:
        return peer_env(self.proxy_url, self.ca_file, home)

    def close(self) -> None:
        self.proc.terminate()
        self.proc.wait(timeout=10)


async def cloudtap_listing(sandbox: SandboxProcess, apple_id: str) -> tuple[int, float]:
    started = time.perf_counter()
    connector = ICloudConnector(TransportOptions(sandbox.proxy_url, sandbox.ca_file))
    outcome = await connector.login(Credentials(apple_id, PASSWORD), None)
    assert outcome.session_state, outcome.error
    count = 0
    async for _ in connector.fetch_items(outcome.session_state, "icpl.photos", Filters()):
        count += 1
    return count, time.perf_counter() - started


def pyicloud_listing(sandbox: SandboxProcess, apple_id: str, home: Path) -> tuple[int, float]:
    venv = client_venv("pyicloud", ["pyicloud==2026.10.1"])
    out = subprocess.run(
        [
            str(venv / "bin" / "python"),
            str(REPO / "bench" / "peers" / "pyicloud_list.py"),
            *(apple_id, PASSWORD, str(home / "pyicloud")),
        ],
        env=sandbox.client_env(home),
        capture_output=True,
        text=True,
        check=True,
    )
    result = json.loads(out.stdout.strip().splitlines()[-1])
    return int(result["count"]), float(result["seconds"])


def icloudpd_listing(sandbox: SandboxProcess, apple_id: str, home: Path) -> tuple[int, float]:
    venv = client_venv("icloudpd", ["icloudpd==1.32.3"])
    started = time.perf_counter()
    out = subprocess.run(
        [
            str(venv / "bin" / "icloudpd"),
            *("--username", apple_id, "--password", PASSWORD),
            *("--directory", str(home / "photos"), "--cookie-directory", str(home / "pd")),
            *("--only-print-filenames", "--no-progress-bar", "--skip-live-photos"),
        ],
        env=sandbox.client_env(home),
        capture_output=True,
        text=True,
    )
    seconds = time.perf_counter() - started
    if out.returncode != 0:
        raise RuntimeError(out.stderr[-2000:])
    names = [line for line in out.stdout.splitlines() if line.strip() and "/" in line]
    return len(names), seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--account", default="photos-10k")
    parser.add_argument("--latency-ms", type=int, default=50)
    parser.add_argument("--peers", default="pyicloud,icloudpd")
    args = parser.parse_args()
    apple_id = f"{args.account}@sandbox.cloudtap.dev"
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        sandbox = SandboxProcess(root / "sandbox", args.latency_ms)
        try:
            rows = [("cloudtap", *asyncio.run(cloudtap_listing(sandbox, apple_id)))]
            peers = {"pyicloud": pyicloud_listing, "icloudpd": icloudpd_listing}
            for name in args.peers.split(","):
                home = root / name
                home.mkdir()
                rows.append((name, *peers[name](sandbox, apple_id, home)))
        finally:
            sandbox.close()
    base = rows[0][2]
    print(f"\nListing {args.account} through the sandbox proxy, +{args.latency_ms} ms per request")
    print(f"{'client':<10} {'assets':>8} {'seconds':>9} {'assets/s':>9} {'time vs cloudtap':>17}")
    for name, count, seconds in rows:
        rate, ratio = count / seconds, seconds / base
        print(f"{name:<10} {count:>8} {seconds:>9.1f} {rate:>9.0f} {ratio:>16.1f}x")


if __name__ == "__main__":
    main()
