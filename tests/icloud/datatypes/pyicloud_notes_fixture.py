"""pyicloud's sanitized Notes rendering fixture, turned back into CloudKit wire records.

pyicloud stores it through its own models: ``{"__bytes__": base64}`` for bytes,
``repr`` text for references (``recordName='…' action='VALIDATE' …``) and asset tokens
(``fileChecksum='…' … downloadURL='…' size=N``), ISO text for timestamps. This module
undoes exactly that, so our client reads the records as Apple's JSON would carry them.
"""

from __future__ import annotations

import json
import os
import re
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from cloudtap.icloud.services.cloudkit import decoded_bytes, decoded_text
from cloudtap.icloud.services.notes_proto import decode_body

FIXTURE = (
    Path(__file__).parents[2] / "fixtures" / "pyicloud" / "notes" / "note_rendering_fixture.json"
)
_PAIR = re.compile(r"(\w+)=(?:'([^']*)'|(\d+))")


def _wire(value: Any) -> dict[str, Any]:
    if isinstance(value, dict) and "__bytes__" in value:
        return {"type": "ENCRYPTED_BYTES", "value": value["__bytes__"]}
    if isinstance(value, list):
        items = [_wire(v)["value"] for v in value]
        return {"type": "LIST", "value": items}
    if isinstance(value, bool | int):
        return {"type": "INT64", "value": int(value)}
    if isinstance(value, float):
        return {"type": "DOUBLE", "value": value}
    text = str(value)
    if text.startswith("recordName="):
        pairs = {k: s for k, s, _ in _PAIR.findall(text)}
        return {"type": "REFERENCE", "value": {"recordName": pairs["recordName"]}}
    if text.startswith("fileChecksum="):
        token: dict[str, Any] = {k: (s if s else int(n)) for k, s, n in _PAIR.findall(text)}
        return {"type": "ASSETID", "value": token}
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return {"type": "STRING", "value": text}
    return {"type": "TIMESTAMP", "value": int(moment.timestamp() * 1000)}


def _record(raw: dict[str, Any], name: str | None = None) -> dict[str, Any]:
    return {
        "recordName": name or raw["recordName"],
        "recordType": raw["recordType"],
        "fields": {k: _wire(v) for k, v in raw["fields"].items()},
    }


def load() -> tuple[dict[str, Any], dict[str, dict[str, Any]]]:
    """The note record and its attachment records by the names the body uses."""
    if not FIXTURE.exists():
        if os.environ.get("CI") == "true":
            raise AssertionError(f"missing fixture {FIXTURE}")
        pytest.skip("pyicloud notes fixture not vendored")
    raw = json.loads(FIXTURE.read_text())
    note = _record(raw["note"])
    blob = decoded_bytes(note, "TextDataEncrypted")
    body = decode_body(blob) if blob else None
    assert body is not None and len(body.attachments) == len(raw["attachments"])
    records: dict[str, dict[str, Any]] = {}
    # The fixture renamed its records but kept them in the order of the body's runs.
    for (ident, uti), attachment in zip(body.attachments, raw["attachments"], strict=True):
        record = _record(attachment, ident)
        assert decoded_text(record, "UTIEncrypted") == uti
        records[ident] = record
    return note, records
