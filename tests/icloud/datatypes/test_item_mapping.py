"""Odd or partial Apple records map to items without crashing (bad input never 500s)."""

from __future__ import annotations

import base64
import gzip

from cloudtap.icloud.datatypes import (
    callkit_calls,
    cloudkit_safari,
    fmip_devices,
    mme_calendar,
    mme_contacts,
    mme_notes,
)
from cloudtap.icloud.services.calendar import EventBatch
from cloudtap.icloud.services.notes_proto import decode_body


def test_empty_records_give_items_of_nulls() -> None:
    assert mme_contacts.to_item({})["records"] == []
    assert fmip_devices.to_item({})["location"] is None
    assert callkit_calls.to_item({})["date"] is None
    assert cloudkit_safari.to_item({})["url"] is None
    assert mme_notes.to_item({}, {})["body"] is None
    assert mme_calendar.to_item({}, EventBatch(), {})["start"] is None


def test_wrongly_typed_fields_are_ignored() -> None:
    card = {"contactId": 5, "phones": "nope", "streetAddresses": [{"field": "x"}], "photo": 1}
    item = mme_contacts.to_item(card)
    assert item["image"] is None
    assert item["records"][0]["type"] == "Address"
    assert mme_calendar.apple_moment(["x", "y"], None, False) is None
    assert (
        mme_calendar.apple_moment(["20250301", 2025, 3, 1, 9, 30, 570], None, True) == "2025-03-01"
    )
    location = fmip_devices.location({"latitude": "north"})
    assert location is not None and location["latitude"] is None


def test_note_bodies_that_are_not_protobuf_are_unreadable_not_fatal() -> None:
    assert decode_body(b"") is not None  # an empty message is a valid, empty body
    assert decode_body(gzip.compress(b"\xff\xff\xff")) is None
    record = {
        "recordName": "n1",
        "recordType": "Note",
        "fields": {
            "TextDataEncrypted": {
                "value": base64.b64encode(b"junk").decode(),
                "type": "ENCRYPTED_BYTES",
            }
        },
    }
    assert mme_notes.to_item(record, {})["body"] is None


def test_third_party_callkit_services_keep_their_bundle_id() -> None:
    assert callkit_calls.service_name("com.apple.FaceTime", 8) == "facetime_video"
    assert callkit_calls.service_name("com.apple.FaceTime", 16) == "facetime_audio"
    assert callkit_calls.service_name("net.whatsapp.WhatsApp", 1) == "net.whatsapp.WhatsApp"
    assert callkit_calls.service_name(None, "x") == "unknown"
