"""Call history and Safari history → CSV; Find My → JSON and CSV. Columns are the
items' own fields (whatever the API adds later becomes a column too)."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

from cloudtap.pull.exporters import Item, OutsideCopy, Wanted, write_atomically

CALLS, HISTORY, FINDMY = "callkit.calls", "cloudkit_safari.history", "fmip.devices"
TARGETS = {
    CALLS: "calls/calls.csv",
    HISTORY: "safari/history.csv",
    FINDMY: "findmy/devices.csv",
}
FIRST = ("id", "date", "name", "address", "url", "title")


def wanted(item: Item) -> list[Wanted]:
    return []


def flatten(item: Item, prefix: str = "") -> dict[str, Any]:
    """Nested objects (a device's ``location``) become ``location.latitude`` columns."""
    flat: dict[str, Any] = {}
    for key, value in item.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            flat.update(flatten(value, f"{name}."))
        elif isinstance(value, list):
            flat[name] = json.dumps(value, ensure_ascii=False)
        else:
            flat[name] = value
    return flat


def csv_bytes(items: list[Item]) -> bytes:
    rows = [flatten(i) for i in items]
    seen: dict[str, None] = {}
    for row in rows:
        seen.update(dict.fromkeys(row))
    columns = sorted(seen, key=lambda c: (FIRST.index(c) if c in FIRST else len(FIRST), c))
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=columns, lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({k: "" if v is None else v for k, v in row.items()})
    return out.getvalue().encode()


def ordered(items: dict[str, Item]) -> list[Item]:
    return sorted(items.values(), key=lambda i: (str(i.get("date") or ""), str(i.get("id"))))


def export_table(data_type: str, root: Path, items: dict[str, Item]) -> list[OutsideCopy]:
    rows = ordered(items)
    outputs = {TARGETS[data_type]: csv_bytes(rows)}
    if data_type == FINDMY:
        outputs["findmy/devices.json"] = json.dumps(rows, indent=1, ensure_ascii=False).encode()
    refused = []
    for relative, body in outputs.items():
        try:
            write_atomically(root, relative, body)
        except OutsideCopy as exc:
            refused.append(exc)
    return refused
