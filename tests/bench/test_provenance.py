"""Every bench result records the commit, date, machine and the load during the run."""

from __future__ import annotations

import datetime as dt
import subprocess
import threading
import time
from pathlib import Path

from bench.runner.provenance import LoadSampler, git_commit, kept_name, provenance

REPO = Path(__file__).resolve().parents[2]


def _git(repo: Path, *args: str) -> str:
    return subprocess.run(
        ["git", "-C", str(repo), *args], capture_output=True, text=True, check=True
    ).stdout.strip()


def test_commit_is_the_checked_out_one_and_says_when_the_tree_is_dirty(tmp_path: Path) -> None:
    _git(tmp_path, "init", "-q")
    (tmp_path / "f").write_text("one")
    _git(tmp_path, "add", "f")
    _git(tmp_path, "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "one")
    head = _git(tmp_path, "rev-parse", "HEAD")
    assert git_commit(tmp_path) == head
    (tmp_path / "f").write_text("two")
    assert git_commit(tmp_path) == f"{head}+dirty"
    assert git_commit(tmp_path / "not-a-repo") == "unknown"


def test_the_load_is_sampled_during_the_run_not_only_at_its_ends() -> None:
    sampler = LoadSampler(every=0.01)
    with sampler:
        # Bounded wait for the sampler's own thread to take a sample between the ends.
        deadline = time.monotonic() + 10
        while len(sampler.samples) < 2 and time.monotonic() < deadline:
            threading.Event().wait(0.01)
    assert len(sampler.samples) >= 3  # start, at least one during, end
    summary = sampler.summary()
    assert summary["samples"] == len(sampler.samples)
    assert summary["min"] <= summary["mean"] <= summary["max"]


def test_provenance_names_commit_date_machine_and_load() -> None:
    started = dt.datetime(2026, 12, 7, 16, 0, tzinfo=dt.UTC)
    sampler = LoadSampler(samples=[0.5, 1.5])
    origin = provenance(REPO, started, sampler)
    assert origin["commit"].split("+")[0] == _git(REPO, "rev-parse", "HEAD")
    assert origin["date"] == "2026-12-07T16:00:00+00:00"
    assert origin["machine"]["cores"] >= 1 and origin["machine"]["memory_gib"] > 0
    assert origin["load_average_1m"] == {"samples": 2, "min": 0.5, "mean": 1.0, "max": 1.5}


def test_a_kept_run_is_named_by_its_commit() -> None:
    assert kept_name("0123456789abcdef", quick=False) == "0123456.json"
    assert kept_name("0123456789abcdef+dirty", quick=True) == "0123456-dirty-quick.json"
