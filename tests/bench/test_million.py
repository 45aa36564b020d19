"""``listing-1m`` at a tiny size: every figure the issue asks for lands in the JSON."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

from bench.runner.__main__ import run
from bench.runner.config import QUICK
from bench.runner.million import counted_items
from bench.runner.report import write_json

LIBRARY = 1_000  # 950 visible: ten pages, the last one short


def test_listing_1m_reports_time_rss_streaming_and_the_repeat(tmp_path: Path) -> None:
    config = replace(QUICK, million_library=LIBRARY, runs=1, latency_ms=5)
    scenarios = run(config, tmp_path / "run", {"listing-1m"})
    write_json(tmp_path / "out.json", config.settings(), scenarios, {"commit": "test"})
    listing, rss, repeat = json.loads((tmp_path / "out.json").read_text())["scenarios"]
    assert [listing["name"], rss["name"], repeat["name"]] == ["listing-1m", "rss-1m", "repeat-1m"]
    assert listing["metric"] == "seconds" and listing["cloudtap_median"] > 0
    assert listing["bare_median"] > 0 and "1.15x" in listing["target"]
    assert "950 assets (bench-1m@" in listing["notes"][0]
    assert "streamed" in listing["notes"][1]
    assert 0 < rss["cloudtap_median"] < 2_000 and rss["target"] == "< 250 MiB"
    # An unchanged library: the repeat asks Apple once and publishes nothing.
    assert repeat["cloudtap_runs"] == [1.0] and repeat["met"] is True
    assert "0 items" in repeat["notes"][0]
    assert repeat["notes"][0].endswith("/changes/zone"), repeat["notes"][0]


def test_items_are_counted_across_chunk_edges(tmp_path: Path) -> None:
    item = b'{"id":"x","data_type":"icpl.asset"}'
    path = tmp_path / "result.json"
    path.write_bytes(b'{"data": [' + b", ".join([item] * 300_000) + b"]}")  # > one 8 MiB chunk
    assert counted_items(path) == 300_000
