"""``files-mixed`` and ``soak`` run end to end at tiny sizes (sandbox process, ``cloudtap
serve``, the API) and write the JSON the issue asks for; no timing is asserted."""

from __future__ import annotations

import json
from pathlib import Path

from bench.runner.__main__ import run
from bench.runner.config import Config
from bench.runner.report import write_json

TINY = Config(
    small_library=10, large_library=300, download_assets=1, runs=1, latency_ms=0,
    link_bytes_per_second=0, soak_cycles=3, files_per_type=12,
)  # fmt: skip


def test_files_mixed_and_soak_write_their_figures(tmp_path: Path) -> None:
    scenarios = run(TINY, tmp_path / "run", {"files-mixed", "soak"})
    out = tmp_path / "result.json"
    write_json(out, TINY.settings(), scenarios, {"commit": "test"})
    by_name = {s["name"]: s for s in json.loads(out.read_text())["scenarios"]}
    assert sorted(by_name) == [
        "files-mixed", "files-mixed-contact-image", "files-mixed-note-attachment", "soak",
    ]  # fmt: skip

    mixed = by_name["files-mixed"]
    assert mixed["metric"] == "ms per file" and len(mixed["cloudtap_runs"]) == 1
    # rich@'s files of each type, in one poll
    assert "12 photos, 12 contact images, 12 note attachments" in mixed["notes"][0]
    for kind in ("contact-image", "note-attachment"):
        one = by_name[f"files-mixed-{kind}"]
        assert one["cloudtap_median"] > 0 and one["peer_median"] > 0
        assert one["ratio"] == one["peer_median"] / one["cloudtap_median"]
        assert one["met"] == (one["cloudtap_median"] <= 2 * one["peer_median"])

    soak = by_name["soak"]
    after = soak["cloudtap_runs"]
    assert len(after) == TINY.soak_cycles and all(rss > 0 for rss in after)
    assert soak["met"] == (abs(after[-1] / after[0] - 1) <= 0.10)
    assert "3 cycles of a 285-asset listing" in soak["notes"][0]
    # serve's own account of its memory after each cycle, from GET /bench/heap
    [heaps] = [n for n in soak["notes"] if "pymalloc arenas" in n]
    assert heaps.count(";") == TINY.soak_cycles - 1
