"""``accounts-100`` at a tiny size, one ``serve`` and the scaled-out shape (PostgreSQL +
Redis from ``scripts/services``): every figure the issue asks for lands in the JSON."""

from __future__ import annotations

import json
import os
from dataclasses import replace
from pathlib import Path

import pytest

from bench.runner.__main__ import run
from bench.runner.accounts import REDIS_ENV
from bench.runner.config import QUICK
from bench.runner.report import write_json
from tests.support.postgres import POSTGRES_ENV

pytestmark = pytest.mark.services


def test_accounts_100_reports_totals_fairness_and_requests(tmp_path: Path) -> None:
    if not (os.environ.get(POSTGRES_ENV) and os.environ.get(REDIS_ENV)):
        pytest.skip(f"{POSTGRES_ENV} / {REDIS_ENV} are not set (run `source scripts/services`)")
    # 2 accounts of 300 assets: 285 visible each, three pages.
    config = replace(QUICK, accounts=2, account_assets=300, runs=1, latency_ms=5)
    scenarios = run(config, tmp_path / "run", {"accounts-100"})
    write_json(tmp_path / "out.json", config.settings(), scenarios, {"commit": "test"})
    one, scaled = json.loads((tmp_path / "out.json").read_text())["scenarios"]
    assert (one["name"], scaled["name"]) == ("accounts-100", "accounts-100-workers")
    for scenario in (one, scaled):
        assert scenario["cloudtap_median"] > 0 and scenario["bare_median"] > 0
        assert scenario["notes"][0].startswith("2 accounts polled at once")
        assert "slowest account / median" in scenario["notes"][1]
        # Every account listed in exactly its three pages and the four first requests.
        assert "CloudKit requests per account: 7-7 (bound: 7," in scenario["notes"][2]
    assert scaled["peer"] == "one `cloudtap serve`"
    assert scaled["peer_median"] == one["cloudtap_median"]
    assert "2 `cloudtap worker`" in scaled["notes"][0]
