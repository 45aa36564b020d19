"""Reminders' packed values (a title's CRDT document, a list's JSON colour, a typed
record name) are redacted inside, so the replay reads them as cloudtap reads Apple."""

from __future__ import annotations

import base64
import json
from datetime import datetime, timedelta

from cloudtap.capture.pseudonyms import Pseudonyms
from cloudtap.capture.redact_json import JsonRedactor
from cloudtap.icloud.services.reminders_wire import color_hex, document_text
from cloudtap.icloud.services.reminders_wire import date_components as read_components
from cloudtap.sandbox.services.reminders_wire import crdt_document, date_components


def test_a_title_document_keeps_its_structure_and_its_text_is_mapped() -> None:
    names = Pseudonyms(shift_days=-100)
    encoded = base64.b64encode(crdt_document("Renew passport (1)")).decode()
    record = {"fields": {"TitleDocument": {"value": encoded, "type": "BYTES"}}}
    out = JsonRedactor(names).document(record)
    text = document_text(base64.b64decode(out["fields"]["TitleDocument"]["value"]))
    assert text == names.mapping["Renew passport (1)"] != "Renew passport (1)"


def test_a_json_colour_stays_json_with_its_hex_kept() -> None:
    names = Pseudonyms(shift_days=-100)
    colour = json.dumps({"ckSymbolicColorName": "green", "daHexString": "#63DA38"})
    out = JsonRedactor(names).document({"fields": {"Color": {"value": colour, "type": "STRING"}}})
    assert color_hex(out["fields"]["Color"]["value"]) == "#63DA38"


def test_a_typed_record_name_maps_as_a_whole() -> None:
    names = Pseudonyms(shift_days=-100)
    out = JsonRedactor(names).document({"recordName": "List/0B1C2D3E-4F50-6172-8394-A5B6C7D8E9F0"})
    assert names.mapping["List/0B1C2D3E-4F50-6172-8394-A5B6C7D8E9F0"] == out["recordName"]


def test_a_date_alarms_components_are_shifted_and_stay_an_archive() -> None:
    names = Pseudonyms(shift_days=-100)
    blob = date_components(datetime(2026, 12, 1, 9, 0), "America/Los_Angeles")
    encoded = base64.b64encode(blob).decode()
    record = {
        "fields": {
            "DateComponentsData": {"value": encoded, "type": "BYTES"},
            "Type": {"value": "Date", "type": "STRING"},
        }
    }
    out = JsonRedactor(names).document(record)
    wall = read_components(base64.b64decode(out["fields"]["DateComponentsData"]["value"]))
    assert wall is not None
    assert wall.moment == datetime(2026, 12, 1, 9, 0) - timedelta(days=100)
    assert wall.zone == "America/Los_Angeles"
    assert out["fields"]["Type"]["value"] == "Date"  # the trigger's kind: an enumeration
