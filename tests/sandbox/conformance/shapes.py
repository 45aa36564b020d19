"""Key paths of a JSON document, and how a captured reply's shape differs from ours.

A path reads ``a.b[].c``: list elements share one path, so a list's keys are the union of
its elements' keys; CloudKit records are told apart by type (``records[CPLAsset].fields``).
Each path carries the JSON type of its value (``object``, ``array``, ``string``,
``number``, ``boolean``, ``null``); a capture's ``null`` matches any type.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


def json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object"


# Objects keyed by an id rather than by a field name: their keys read as ``*``.
ID_MAPS = {"userInfo.membersInfo", "headerPositions"}


def key_paths(value: Any, prefix: str = "") -> dict[str, set[str]]:
    """Every key path of ``value`` with the JSON types seen there."""
    paths: dict[str, set[str]] = {}
    if isinstance(value, dict):
        for key, child in value.items():
            key = "*" if prefix in ID_MAPS else key
            path = f"{prefix}.{key}" if prefix else str(key)
            paths.setdefault(path, set()).add(json_type(child))
            for sub, types in key_paths(child, path).items():
                paths.setdefault(sub, set()).update(types)
    elif isinstance(value, list):
        for child in value:
            for sub, types in key_paths(child, prefix + f"[{_record_type(child)}]").items():
                paths.setdefault(sub, set()).update(types)
    return paths


def _record_type(element: Any) -> str:
    """CloudKit records are compared per type (``records[CPLMaster].fields...``): a key
    one type has must not hide that another lacks it. Other list elements share ``[]``."""
    kind = element.get("recordType") if isinstance(element, dict) else None
    return kind if isinstance(kind, str) else ""


@dataclass(frozen=True)
class Difference:
    """One way our reply departs from the capture: ``kind`` is status, missing or type."""

    kind: str
    path: str
    detail: str = ""

    def __str__(self) -> str:
        return f"{self.kind} {self.path} {self.detail}".strip()


def compare_bodies(captured: Any, ours: Any) -> tuple[int, list[Difference]]:
    """(how many captured key paths were checked, the differences found)."""
    theirs = key_paths(captured)
    mine = key_paths(ours)
    if isinstance(captured, dict | list) and not isinstance(ours, type(captured)):
        return len(theirs), [Difference("type", "$", f"{json_type(captured)} != {json_type(ours)}")]
    differences: list[Difference] = []
    missing: list[str] = []
    for path, types in sorted(theirs.items()):
        if any(path.startswith((f"{m}.", f"{m}[]")) for m in missing):
            continue  # reported once, at the highest missing key
        if path not in mine:
            missing.append(path)
            differences.append(Difference("missing", path))
            continue
        expected = types - {"null"}
        if expected and not expected & mine[path]:
            detail = f"{'|'.join(sorted(expected))} != {'|'.join(sorted(mine[path]))}"
            differences.append(Difference("type", path, detail))
    return len(theirs), differences


def extra_keys(captured: Any, ours: Any) -> list[str]:
    """Key paths of ours the capture lacks, reported at the highest such key."""
    theirs = key_paths(captured)
    found: list[str] = []
    for path in sorted(key_paths(ours)):
        if path not in theirs and not any(path.startswith((f"{e}.", f"{e}[]")) for e in found):
            found.append(path)
    return found
