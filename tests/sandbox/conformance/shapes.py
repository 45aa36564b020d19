"""Key paths of a JSON document, and how a captured reply's shape differs from ours.

A path reads ``a.b[].c``: list elements share one path, so a list's keys are the union of
its elements' keys; CloudKit records are told apart by type (``records[CPLAsset].fields``).
Each path carries the JSON type of its value (``object``, ``array``, ``string``,
``number``, ``boolean``, ``null``); a capture's ``null`` matches any type. Keys whose values
are enumerations or constants (``VALUE_KEYS``) also have their values compared.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
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


# Keys whose values clients branch on: auth types, status strings, error codes, flags of
# the sign-in state, CloudKit field and zone types. A captured value there must be one of
# the values the sandbox's reply has at the same path (the capture's sample aside, these
# do not depend on the library).
VALUE_KEYS = frozenset(
    {
        "authType",
        "auth_type",
        "authenticationType",
        "serverErrorCode",
        "code",
        "errorCode",
        "status",
        "statusCode",
        "success",
        "zoneType",
        "deviceType",
        "protocol",
        "hsaVersion",
        "hsaChallengeRequired",
        "hsaTrustedBrowser",
        "hsaEnabled",
        "mode",
    }
)
# A CloudKit field's ``type`` (STRING, ENCRYPTED_BYTES, ASSETID, ...); ``type`` elsewhere
# is data (a payment card's issuer).
FIELD_TYPE = re.compile(r"(^|\.)fields\.[^.]+\.type$")
# Keys Apple renamed since a capture (reference icloud-protocol §2.2): their values are
# compared under the new name when the old one is gone.
RENAMED = {"auth_type": "authType"}


def _walk(value: Any, prefix: str = "") -> Iterator[tuple[str, Any]]:
    """(path, value) of every key at every depth; list elements share their list's path."""
    if isinstance(value, dict):
        for key, child in value.items():
            key = "*" if prefix in ID_MAPS else key
            path = f"{prefix}.{key}" if prefix else str(key)
            yield path, child
            yield from _walk(child, path)
    elif isinstance(value, list):
        for child in value:
            yield from _walk(child, prefix + f"[{_record_type(child)}]")


def key_paths(value: Any, prefix: str = "") -> dict[str, set[str]]:
    """Every key path of ``value`` with the JSON types seen there."""
    paths: dict[str, set[str]] = {}
    for path, child in _walk(value, prefix):
        paths.setdefault(path, set()).add(json_type(child))
    return paths


def _leaf(path: str) -> str:
    return path.rsplit(".", 1)[-1]


def key_values(value: Any) -> dict[str, set[str]]:
    """The values (as JSON text) at every path whose key is in ``VALUE_KEYS``; nulls and
    objects are left out (a null matches anything, an object is compared key by key)."""
    values: dict[str, set[str]] = {}
    for path, child in _walk(value):
        wanted = _leaf(path) in VALUE_KEYS or FIELD_TYPE.search(path) is not None
        if wanted and child is not None and not isinstance(child, dict | list):
            values.setdefault(path, set()).add(json.dumps(child))
    return values


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


def value_differences(captured: Any, ours: Any) -> tuple[int, list[Difference]]:
    """(how many captured enumeration/constant paths were compared, the differences).

    A path missing from ours is not a value difference (``compare_bodies`` reports it),
    unless its key was renamed: then the value is compared under the new name."""
    mine = key_values(ours)
    compared = 0
    found: list[Difference] = []
    for path, values in sorted(key_values(captured).items()):
        renamed = ""
        if path not in mine and _leaf(path) in RENAMED:
            renamed = RENAMED[_leaf(path)]
            target = path[: len(path) - len(_leaf(path))] + renamed
        else:
            target = path
        if target not in mine:
            continue
        compared += 1
        if not values <= mine[target]:
            detail = f"{_show(values - mine[target])} != {_show(mine[target])}"
            found.append(
                Difference("value", path, f"{detail} (as {renamed})" if renamed else detail)
            )
    return compared, found


def _show(values: set[str]) -> str:
    return "|".join(repr(json.loads(v)) for v in sorted(values))


def extra_keys(captured: Any, ours: Any, known: frozenset[str] = frozenset()) -> list[str]:
    """Key paths of ours the capture lacks (and ``known`` does not list), reported at the
    highest such key."""
    theirs = key_paths(captured).keys() | known
    found: list[str] = []
    for path in sorted(key_paths(ours)):
        if path not in theirs and not any(path.startswith((f"{e}.", f"{e}[")) for e in found):
            found.append(path)
    return found
