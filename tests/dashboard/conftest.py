"""One real ``cloudtap serve`` for the dashboard tests, a webhook receiver it may reach,
and headless Chromium (Debian's package) driven by Playwright."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.cli.serve_process import ServedAPI, served_api
from tests.dashboard.support import Receiver, webhook_receiver

CHROMIUM = Path("/usr/bin/chromium")


@pytest.fixture(scope="package")
def receiver() -> Iterator[Receiver]:
    with webhook_receiver() as running:
        yield running


@pytest.fixture(scope="package")
def served(tmp_path_factory: pytest.TempPathFactory, receiver: Receiver) -> Iterator[ServedAPI]:
    data_dir = tmp_path_factory.mktemp("dashboard") / "data"
    env = {"CLOUDTAP_WEBHOOK_ALLOW_HOSTS": "127.0.0.1", "CLOUDTAP_WEBHOOK_BACKOFF_BASE": "1"}
    with served_api(data_dir, extra_env=env) as api:
        yield api


# Package scope, not session: Playwright's sync API runs an event loop in the main thread
# while it is open, and every later test that calls asyncio.run would find it running.
@pytest.fixture(scope="package")
def browser() -> Iterator[Any]:
    """Headless Chromium. Missing locally: skipped; under CI=true a skip is a failure
    (tests/conftest.py), so CI must have it (scripts/services installs it)."""
    sync_api = pytest.importorskip("playwright.sync_api")
    if not CHROMIUM.exists() and shutil.which("chromium") is None:
        pytest.skip("Debian's chromium is not installed (scripts/services installs it)")
    executable = str(CHROMIUM) if CHROMIUM.exists() else str(shutil.which("chromium"))
    with sync_api.sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=executable, headless=True)
        try:
            yield launched
        finally:
            launched.close()
