"""The sandbox the pull tests run against (see sandbox_world.py)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from cloudtap.config import get_settings
from cloudtap.sandbox.runtime import start_sandbox
from cloudtap.sandbox.world import SandboxWorld
from tests.pull.sandbox_world import PullSandbox, sandbox_accounts


@pytest.fixture
def pull_sandbox() -> Iterator[PullSandbox]:
    settings = get_settings()  # the suite's conftest points it at this test's tmp dir
    world = SandboxWorld.with_accounts(sandbox_accounts(), seed=settings.sandbox_seed)
    running = start_sandbox(settings, world=world)
    try:
        yield PullSandbox(running, world)
    finally:
        running.close()
