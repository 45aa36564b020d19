"""Suite-wide fixtures."""

from __future__ import annotations

import os
import sys
from collections.abc import Generator
from pathlib import Path

import pluggy
import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
CAPTURES = SHARED / "fixtures" / "apple-captures"

sys.path.insert(0, str(REPO))
# The suite is an entry point too: tests that run or enqueue jobs without the app or a
# consumer find every job defined.
import cloudtap.jobs.registry  # noqa: E402, F401

# Shared ground-truth assertions report their operands like a test's own asserts.
pytest.register_assert_rewrite("tests.icloud.datatypes.sandbox_session")


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pluggy.Result[pytest.TestReport], None]:
    """Under CI (``CI=true``) a skipped test is a failed one: a missing service or fixture
    must never pass silently. Skips stay for local runs without PostgreSQL, Redis, …"""
    outcome = yield
    report = outcome.get_result()
    if report.skipped and not hasattr(report, "wasxfail") and _in_ci():
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else report.longrepr
        report.outcome = "failed"
        report.longrepr = f"skipped under CI=true, which counts as a failure: {reason}"


@pytest.hookimpl(hookwrapper=True)
def pytest_make_collect_report(
    collector: pytest.Collector,
) -> Generator[None, pluggy.Result[pytest.CollectReport], None]:
    """The same for a whole module skipped at import (``pytest.importorskip``)."""
    outcome = yield
    report = outcome.get_result()
    if report.skipped and _in_ci():
        report.outcome = "failed"
        report.longrepr = f"skipped under CI=true, which counts as a failure: {report.longrepr}"


def _in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() in ("1", "true", "yes")


@pytest.fixture(scope="session")
def captures_dir() -> Path:
    if not CAPTURES.is_dir():
        pytest.skip("../shared/fixtures/apple-captures is not beside the checkout")
    return CAPTURES


@pytest.fixture(autouse=True)
def _isolated_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No test reads the developer's real config or writes outside its tmp dir."""
    for key in list(os.environ):
        if key.startswith("CLOUDTAP_") and not key.startswith("CLOUDTAP_TEST_"):
            monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("CLOUDTAP_DATA_DIR", str(tmp_path / "data"))
    from cloudtap.config import set_settings

    set_settings(None)
