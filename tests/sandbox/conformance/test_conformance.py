"""Every captured Apple reply we have, replayed against the sandbox and compared.

Sources (vendored under ``tests/fixtures/``, see each README): all of icloudpd's VCR
cassettes, pyicloud's ``tests/const*`` replies and ``tests/fixtures`` JSON, icloudpy's
``tests/const*`` replies. Whatever the status: the status itself; every key of a captured
reply in the sandbox's reply to the same call, at every depth, with a compatible JSON
type; the values of enumerations and constants (``shapes.VALUE_KEYS``); no key the
capture lacks (on every host); an empty body empty; the content type and the headers
clients act on. A difference passes only if ``deviations.py`` documents it, one kind at
one key path, with its reason and its section of ``docs/apple-evidence.md``.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.sandbox.conformance.captures import all_groups
from tests.sandbox.conformance.deviations import DEVIATIONS
from tests.sandbox.conformance.report import Report, deviation_table

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
    distinct = report.distinct
    assert {o.call.source for o in distinct} == {
        "icloudpd",
        "pyicloud",
        "icloudpy",
        "reconstructed",
    }
    # The 244 cassette interactions hold 69 distinct replies (+ the saved auth page).
    assert sum(o.call.source == "icloudpd" for o in distinct) == 70
    assert report.distinct_replies < len(report.outcomes)
    assert sum(o.keys_checked for o in distinct) > 5000
    assert sum(o.values_compared for o in distinct) > 1000
    assert not [o for o in report.outcomes if o.unexplained]


def test_the_documented_deviation_list_is_current() -> None:
    ledger = Path(__file__).resolve().parents[3] / "docs" / "conformance.md"
    assert deviation_table() in ledger.read_text(encoding="utf-8"), (
        "regenerate: python -m tests.sandbox.conformance.report"
    )


def test_every_documented_deviation_is_still_needed(report: Report) -> None:
    stale = [d for d in DEVIATIONS if d not in report.used]
    assert not stale, "no longer needed (fixed? drop them here and in the ledger):\n" + "\n".join(
        f"{d.call} {d.kind} {d.path}" for d in stale
    )


def test_every_deviation_points_at_a_ledger_section() -> None:
    ledger = Path(__file__).resolve().parents[3] / "docs" / "apple-evidence.md"
    headings = {line[3:].strip() for line in ledger.read_text().splitlines() if line[:3] == "## "}
    assert {d.ledger for d in DEVIATIONS} <= headings
