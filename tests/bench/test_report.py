"""``bench/run``'s report: the ``latest.json`` shape the issue fixes, and the table."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bench.runner.report import Runs, Scenario, table, write_json

FIELDS = {
    "name", "metric", "higher_is_better", "cloudtap_median", "peer", "peer_median",
    "ratio", "target", "met",
}  # fmt: skip


def _scenarios() -> list[Scenario]:
    listing = Scenario(
        "listing-100k", "seconds", False, Runs([10.0, 12.0, 11.0]), "icloudpd 1.32.3",
        Runs([33.0, 36.0, 30.0]), target="≥ 3x faster", met=True, bare=Runs([9.0, 9.5, 10.0]),
    )  # fmt: skip
    download = Scenario(
        "download", "MB/s", True, Runs([8.0, 9.0, 10.0]), "icloudpd 1.32.3",
        Runs([2.0, 2.0, 2.5]), target="≥ 4x icloudpd", met=True,
    )  # fmt: skip
    rss = Scenario("rss-100k", "MiB", False, Runs([150.0]), None, None, "< 200 MiB", True)
    return [listing, download, rss]


def test_latest_json_has_every_field_and_ratios_say_how_much_better(tmp_path: Path) -> None:
    out = tmp_path / "latest.json"
    write_json(out, {"quick": True}, _scenarios(), {"commit": "abc"})
    document = json.loads(out.read_text())
    assert document["provenance"] == {"commit": "abc"}
    listing, download, rss = document["scenarios"]
    assert all(set(s) >= FIELDS for s in document["scenarios"])
    assert listing["cloudtap_median"] == 11.0 and listing["peer_median"] == 33.0
    assert listing["ratio"] == 3.0  # lower is better: peer / cloudtap
    assert download["ratio"] == 4.5  # higher is better: cloudtap / peer
    assert rss["peer"] is None and rss["ratio"] is None and rss["met"] is True


def test_table_shows_median_and_range_per_scenario() -> None:
    text = table(_scenarios())
    row = "| listing-100k | seconds | 11.0 (10.0-12.0) | icloudpd 1.32.3 | 33.0 (30.0-36.0)"
    assert row in text
    assert text.count("\n| ") == 3  # one row per scenario, under the head


def test_a_run_that_fails_part_way_still_writes_what_it_finished(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import bench.runner.__main__ as runner

    def run_then_fail(config: object, root: Path, only: object, into: list[Scenario]) -> None:
        into.append(_scenarios()[2])
        raise RuntimeError("the sandbox went away")

    monkeypatch.setattr(runner, "run", run_then_fail)
    monkeypatch.setattr(runner, "RESULTS", tmp_path / "latest.json")
    out = tmp_path / "run.json"
    monkeypatch.setattr("sys.argv", ["bench/run", "--quick", "--output", str(out)])
    with pytest.raises(SystemExit) as exited:
        runner.main()
    assert exited.value.code == 1
    document = json.loads(out.read_text())
    assert [s["name"] for s in document["scenarios"]] == ["rss-100k"]
    assert document["failed"]["error"] == "RuntimeError: the sandbox went away"
    assert "rss-100k" not in document["failed"]["not_finished"]
    assert "listing-1m" in document["failed"]["not_finished"]
    assert json.loads((tmp_path / "latest.json").read_text()) == document
