"""Every captured Apple reply we have, replayed against the sandbox: same status, same keys.

Sources (vendored under ``tests/fixtures/``, see each README): all of icloudpd's VCR
cassettes, pyicloud's ``tests/const*`` replies and ``tests/fixtures`` JSON, icloudpy's
``tests/const*`` replies. Every key of a captured reply must be in the sandbox's reply
to the same call, at every depth, with a compatible JSON type, unless ``deviations.py``
documents why not (each entry points at its line in ``docs/apple-evidence.md``).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.sandbox.conformance.captures import all_groups
from tests.sandbox.conformance.deviations import DEVIATIONS
from tests.sandbox.conformance.report import Report

GROUPS = [g.id for g in all_groups()]


@pytest.mark.parametrize("group_id", GROUPS)
def test_capture_group_matches_the_sandbox(report: Report, group_id: str) -> None:
    outcomes = report.of(group_id)
    assert outcomes, group_id
    unexplained = [f"{o.call.name} ({o.call.label}): {d}" for o in outcomes for d in o.unexplained]
    assert not unexplained, "\n".join(unexplained)


def test_every_reply_was_compared_and_keys_were_checked(report: Report) -> None:
    print(report.summary())
    assert {f"{o.call.source}:{o.call.group}" for o in report.outcomes} == set(GROUPS)
    sources = {o.call.source for o in report.outcomes}
    assert sources == {"icloudpd", "pyicloud", "icloudpy", "reconstructed"}
    assert sum(o.keys_checked for o in report.outcomes) > 1000


def test_every_documented_deviation_is_still_needed(report: Report) -> None:
    stale = [d for d in DEVIATIONS if d not in report.used]
    assert not stale, "no longer needed (fixed? drop them here and in the ledger):\n" + "\n".join(
        f"{d.call} {d.kind} {d.path}" for d in stale
    )


def test_every_deviation_points_at_a_ledger_section() -> None:
    ledger = Path(__file__).resolve().parents[3] / "docs" / "apple-evidence.md"
    headings = {line[3:].strip() for line in ledger.read_text().splitlines() if line[:3] == "## "}
    assert {d.ledger for d in DEVIATIONS} <= headings
