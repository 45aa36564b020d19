"""Runs every vendored capture against the sandbox once per test session, and prints the tally."""

from __future__ import annotations

import asyncio

import pytest

from tests.sandbox.conformance.report import Report, run_all

_REPORT: list[Report] = []


@pytest.fixture(scope="session")
def report() -> Report:
    if not _REPORT:
        _REPORT.append(asyncio.run(run_all()))
    return _REPORT[0]


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if _REPORT:
        terminalreporter.write_sep("-", "Apple conformance")
        terminalreporter.write_line(_REPORT[0].summary())
