"""The processes a run needs: the sandbox (its own process) and ``cloudtap serve``."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from tests.cli.serve_process import ServedAPI, cloudtap_command, cloudtap_env, served_api

REPO = Path(__file__).resolve().parents[2]


def peer_env(proxy_url: str, ca_file: str, home: Path) -> dict[str, str]:
    """Environment for a requests/httpx-based peer: our proxy, our CA, its own HOME."""
    env = {k: v for k, v in os.environ.items() if not k.lower().endswith("_proxy")}
    env.update(
        HTTPS_PROXY=proxy_url,
        https_proxy=proxy_url,
        REQUESTS_CA_BUNDLE=ca_file,
        SSL_CERT_FILE=ca_file,
        HOME=str(home),
    )
    return env


@dataclass
class SandboxProcess:
    proxy_url: str
    ca_file: str
    process: subprocess.Popen[str]

    def requests_since(self, since: float) -> int:
        """Requests the sandbox served that started at or after ``since`` (unix time)."""
        assert self.process.stdin is not None and self.process.stdout is not None
        self.process.stdin.write(f"requests {since}\n")
        self.process.stdin.flush()
        return int(self.process.stdout.readline())

    def paths_since(self, since: float) -> list[str]:
        assert self.process.stdin is not None and self.process.stdout is not None
        self.process.stdin.write(f"paths {since}\n")
        self.process.stdin.flush()
        return self.process.stdout.readline().split()

    def cloudkit_requests(self, apple_ids: list[str]) -> dict[str, int]:
        """CloudKit requests each of these accounts made so far."""
        assert self.process.stdin is not None and self.process.stdout is not None
        self.process.stdin.write(f"cloudkit {' '.join(apple_ids)}\n")
        self.process.stdin.flush()
        return dict(zip(apple_ids, map(int, self.process.stdout.readline().split()), strict=True))

    def client_env(self, home: Path) -> dict[str, str]:
        return peer_env(self.proxy_url, self.ca_file, home)


@contextmanager
def sandbox_process(
    data_dir: Path,
    knobs: dict[str, str],
    libraries: dict[str, int],
    numbered: tuple[str, int, int] | None = None,
) -> Iterator[SandboxProcess]:
    """``numbered``: (stem, assets, how many) for accounts ``<stem>000@`` … as well."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("CLOUDTAP_")}
    env.update(CLOUDTAP_DATA_DIR=str(data_dir), **knobs)
    process = subprocess.Popen(
        [sys.executable, "-m", "bench.runner.sandbox_server"]
        + [f"{name}:{count}" for name, count in libraries.items()]
        + ([f"{numbered[0]}###:{numbered[1]}:{numbered[2]}"] if numbered else []),
        cwd=REPO,
        env=env,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        found = dict(process.stdout.readline().split() for _ in range(2))
        yield SandboxProcess(found["proxy"], found["ca"], process)
    finally:
        process.terminate()
        process.wait(timeout=20)


def _serve_env(sandbox: SandboxProcess) -> dict[str, str]:
    env = {"CLOUDTAP_SANDBOX_PROXY_URL": sandbox.proxy_url}
    env["CLOUDTAP_SANDBOX_CA_FILE"] = sandbox.ca_file
    # `api` measures throughput, not the per-key abuse limit (100/s by default), which
    # would answer it 429s.
    env["CLOUDTAP_RATE_LIMIT_PER_SECOND"] = "0"
    return env


@contextmanager
def cloudtap_server(data_dir: Path, sandbox: SandboxProcess) -> Iterator[ServedAPI]:
    """``cloudtap serve`` (API and job threads) using the sandbox process, not its own:
    the bench's launcher, cloudtap's own app plus api-mix's bare endpoint."""
    launcher = [sys.executable, "-m", "bench.runner.bench_serve"]
    with served_api(data_dir, extra_env=_serve_env(sandbox), command=launcher) as api:
        yield api


@contextmanager
def scaled_out_server(
    data_dir: Path, sandbox: SandboxProcess, database_url: str, queue_url: str, workers: int
) -> Iterator[tuple[ServedAPI, list[subprocess.Popen[bytes]]]]:
    """``cloudtap serve --no-worker`` and ``workers`` ``cloudtap worker`` processes on one
    PostgreSQL database and one Redis queue, all using the sandbox process."""
    env = {**_serve_env(sandbox), "CLOUDTAP_DATABASE_URL": database_url}
    env["CLOUDTAP_QUEUE_URL"] = queue_url
    started: list[subprocess.Popen[bytes]] = []
    with served_api(data_dir, extra_env=env, extra_args=("--no-worker",)) as api:
        try:
            for n in range(workers):
                with open(data_dir.parent / f"worker-{n}.log", "wb") as log:
                    started.append(
                        subprocess.Popen(
                            [*cloudtap_command(), "worker"], cwd=REPO,
                            env=cloudtap_env(data_dir, env), stdout=log,
                            stderr=subprocess.STDOUT,
                        )
                    )  # fmt: skip
            yield api, started
        finally:
            for process in started:
                process.terminate()
            for process in started:
                try:
                    process.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()
