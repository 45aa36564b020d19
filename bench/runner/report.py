"""Scenario results: medians with min-max, the markdown table, ``latest.json``."""

from __future__ import annotations

import json
import statistics
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class Runs:
    values: list[float]

    @property
    def median(self) -> float:
        return float(statistics.median(self.values))

    def text(self) -> str:
        if len(self.values) == 1:
            return _fmt(self.values[0])
        lo, hi = min(self.values), max(self.values)
        return f"{_fmt(self.median)} ({_fmt(lo)}-{_fmt(hi)})"


def _fmt(value: float) -> str:
    if value >= 100:
        return f"{value:.0f}"
    if value >= 10:
        return f"{value:.1f}"
    return f"{value:.2f}"


@dataclass
class Scenario:
    name: str
    metric: str
    higher_is_better: bool
    cloudtap: Runs
    peer: str | None
    peer_runs: Runs | None
    target: str
    met: bool
    bare: Runs | None = None
    notes: list[str] = field(default_factory=list)
    details: dict[str, Any] | None = None  # a scenario's own figures (api-mix: per kind)

    @property
    def ratio(self) -> float | None:
        """How many times better cloudtap is than the peer (>1: cloudtap is better)."""
        if self.peer_runs is None or not self.cloudtap.median or not self.peer_runs.median:
            return None
        if self.higher_is_better:
            return self.cloudtap.median / self.peer_runs.median
        return self.peer_runs.median / self.cloudtap.median

    def as_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "metric": self.metric,
            "higher_is_better": self.higher_is_better,
            "cloudtap_median": self.cloudtap.median,
            "cloudtap_runs": self.cloudtap.values,
            "peer": self.peer,
            "peer_median": self.peer_runs.median if self.peer_runs else None,
            "peer_runs": self.peer_runs.values if self.peer_runs else None,
            "bare_median": self.bare.median if self.bare else None,
            "bare_runs": self.bare.values if self.bare else None,
            "ratio": self.ratio,
            "target": self.target,
            "met": self.met,
            "notes": self.notes,
            **({"details": self.details} if self.details is not None else {}),
        }


def table(scenarios: list[Scenario]) -> str:
    head = (
        "| scenario | metric | cloudtap median (min-max) | peer | peer median (min-max) "
        "| bare client | ratio | target | met |"
    )
    rows = [head, "|" + "---|" * 9]
    for s in scenarios:
        ratio = f"{s.ratio:.2f}x" if s.ratio is not None else "-"
        rows.append(
            f"| {s.name} | {s.metric} | {s.cloudtap.text()} | {s.peer or '-'} "
            f"| {s.peer_runs.text() if s.peer_runs else '-'} "
            f"| {s.bare.text() if s.bare else '-'} | {ratio} | {s.target} "
            f"| {'yes' if s.met else '**no**'} |"
        )
    notes = [f"- {s.name}: {n}" for s in scenarios for n in s.notes]
    return "\n".join(rows + (["", *notes] if notes else []))


def write_json(
    path: Path,
    settings: dict[str, Any],
    scenarios: list[Scenario],
    provenance: dict[str, Any],
    failure: dict[str, Any] | None = None,
) -> None:
    """``provenance``: commit, date, machine and load (``bench.runner.provenance``);
    ``failure``: the error that ended the run early and the scenarios it left unfinished."""
    path.parent.mkdir(parents=True, exist_ok=True)
    document = {
        "provenance": provenance,
        "settings": settings,
        "scenarios": [s.as_json() for s in scenarios],
        **({"failed": failure} if failure is not None else {}),
    }
    path.write_text(json.dumps(document, indent=2) + "\n")
