"""A sandbox run by the test (so it can count Apple requests and read the world's own
values) that ``cloudtap pull`` subprocesses reach through CLOUDTAP_SANDBOX_PROXY_URL.

Its accounts: the scenario accounts, plus a 2FA account holding all nine data types
(``pull-2fa``), a photo account whose downloads are slowed (``pull-slow``) and a small
account with every change-feed type (``pull-plain``).
"""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass, replace
from pathlib import Path

import pexpect

from cloudtap.sandbox.accounts.model import (
    ContentSpec,
    FaultSpec,
    GeneratedLibrary,
    SandboxAccount,
)
from cloudtap.sandbox.accounts.scenarios import (
    CODE,
    DOMAIN,
    PASSWORD,
    scenario_account,
    scenario_accounts,
)
from cloudtap.sandbox.runtime import RunningSandbox
from cloudtap.sandbox.world import SandboxWorld

REPO = Path(__file__).resolve().parents[2]
TWO_FA = f"pull-2fa@{DOMAIN}"
SLOW = f"pull-slow@{DOMAIN}"
PLAIN = f"pull-plain@{DOMAIN}"
__all__ = ["CODE", "PASSWORD", "PLAIN", "SLOW", "TWO_FA"]


def sandbox_accounts() -> list[SandboxAccount]:
    two_fa = replace(
        scenario_account("2fa-device"),
        apple_id=TWO_FA,
        dsid="19990000001",
        scenario="pull-2fa",
        photos=GeneratedLibrary(count=24, seed=424242, shared_count=4),
        content=ContentSpec(
            seed=515151,
            devices=3,
            family_members=1,
            contacts=60,
            events=120,
            notes=40,
            calls=40,
            history=60,
        ),
    )
    slow = replace(
        scenario_account("no2fa"),
        apple_id=SLOW,
        dsid="19990000002",
        scenario="pull-slow",
        photos=GeneratedLibrary(count=30, seed=777001, shared_count=0),
        content=ContentSpec(seed=777002, contacts=5),
        # ~0.3 s per photo file: slow enough to stop a pull half-way through.
        faults=FaultSpec(bandwidth_bps=300_000),
    )
    # No 2FA, a little of each change-feed type: for deletions between two pulls.
    plain = replace(
        scenario_account("no2fa"),
        apple_id=PLAIN,
        dsid="19990000003",
        scenario="pull-plain",
        photos=GeneratedLibrary(count=6, seed=880001, shared_count=0),
        content=ContentSpec(seed=880002, notes=8, calls=8, history=8),
    )
    return [*scenario_accounts(), two_fa, slow, plain]


@dataclass
class PullSandbox:
    running: RunningSandbox
    world: SandboxWorld

    def account(self, apple_id: str) -> SandboxAccount:
        found = self.world.account(apple_id)
        assert found is not None
        return found

    def env(self, home: Path) -> dict[str, str]:
        """The environment of a ``cloudtap pull`` subprocess using this sandbox."""
        env = {k: v for k, v in os.environ.items() if not k.startswith("CLOUDTAP_")}
        env.update(
            CLOUDTAP_SANDBOX_PROXY_URL=self.running.proxy_url,
            CLOUDTAP_SANDBOX_CA_FILE=str(self.running.ca_file),
            HOME=str(home),
            PYTHONUNBUFFERED="1",
            TERM="xterm",
            COLUMNS="120",
        )
        return env


def pull_command(*args: str) -> list[str]:
    return [sys.executable, "-m", "cloudtap.cli.main", "pull", *args]


def run_pull(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    """``cloudtap pull <args>`` to the end (5 minutes at most), its output captured."""
    return subprocess.run(
        pull_command(*args),
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def spawn_pull(
    sandbox: PullSandbox,
    tmp_path: Path,
    *args: str,
    timeout: int,
    extra_env: dict[str, str] | None = None,
) -> pexpect.spawn:
    """``cloudtap pull <args>`` in a pseudo-terminal, reaching ``sandbox``."""
    command = pull_command(*args)
    return pexpect.spawn(
        command[0],
        command[1:],
        cwd=str(REPO),
        env={**sandbox.env(tmp_path), **(extra_env or {})},
        encoding="utf-8",
        timeout=timeout,
        dimensions=(40, 140),
    )
