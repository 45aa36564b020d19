"""The suite's own rule: under CI a skip is a failure (see ``tests/conftest.py``)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
PYTEST = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "tests.conftest"]
PROBE = """
import pytest

pytest.importorskip("{module}")

def test_needs_a_service():
    pytest.skip("the service is not running")

def test_runs():
    assert True
"""


@pytest.mark.parametrize(
    ("ci", "module", "expected"),
    [
        ("true", "json", "1 failed, 1 passed"),
        ("", "json", "1 passed, 1 skipped"),
        ("true", "no_such_module_here", "1 error"),
        ("", "no_such_module_here", "1 skipped"),
    ],
)
def test_a_skip_fails_only_under_ci(tmp_path: Path, ci: str, module: str, expected: str) -> None:
    probe = tmp_path / "test_probe.py"
    probe.write_text(PROBE.format(module=module))
    result = subprocess.run(
        [*PYTEST, "--rootdir", str(tmp_path), str(probe)],
        cwd=REPO,
        env={"PATH": "/usr/bin:/bin", "CI": ci, "HOME": str(tmp_path), "PYTHONPATH": str(REPO)},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert expected in result.stdout, result.stdout[-2000:]


def test_no_test_skips_on_an_import_of_cloudtap_itself() -> None:
    # Outside CI an importorskip turns a broken cloudtap module into a quiet skip; only
    # third-party packages (playwright, …) may be skipped on import.
    offenders = [
        f"{path.relative_to(REPO)}:{number}"
        for path in sorted((REPO / "tests").rglob("*.py"))
        if path.name != "test_ci_skips.py"
        for number, line in enumerate(path.read_text().splitlines(), 1)
        if 'importorskip("cloudtap' in line or "importorskip('cloudtap" in line
    ]
    assert offenders == []
