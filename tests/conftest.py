"""Suite-wide fixtures."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
CAPTURES = SHARED / "fixtures" / "apple-captures"

sys.path.insert(0, str(REPO))


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
