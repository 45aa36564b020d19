"""``cloudtap worker`` as a real subprocess that a test may stop, SIGKILL and restart."""

from __future__ import annotations

import signal
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

from tests.cli.serve_process import REPO, cloudtap_command, cloudtap_env


@dataclass
class WorkerProcess:
    """One worker slot: each (re)start appends to the same log beside the data dir."""

    data_dir: Path
    env: dict[str, str]
    name: str
    threads: int = 2
    process: subprocess.Popen[bytes] | None = None
    starts: int = field(default=0)

    @property
    def log_path(self) -> Path:
        return self.data_dir.parent / f"worker-{self.name}.log"

    def log(self) -> str:
        return self.log_path.read_text() if self.log_path.exists() else ""

    def start(self) -> WorkerProcess:
        assert self.process is None or self.process.poll() is not None, "already running"
        with open(self.log_path, "a") as log:
            log.write(f"--- start {self.starts + 1}\n")
            log.flush()
            self.process = subprocess.Popen(
                [*cloudtap_command(), "worker", "--workers", str(self.threads)],
                cwd=REPO,
                env=cloudtap_env(self.data_dir, self.env),
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        self.starts += 1
        return self

    def kill(self) -> None:
        """SIGKILL: no handler runs, nothing is cleaned up, as when the OOM killer strikes."""
        assert self.process is not None and self.process.poll() is None, "not running"
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=20)

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
