"""Note bodies (gzip'd ``NoteStoreProto``) are redacted inside, not replaced by bytes:
the replayed note still decodes, its lines mapped as every other free text is."""

from __future__ import annotations

import base64

from cloudtap.capture.pseudonyms import Pseudonyms
from cloudtap.capture.redact_json import JsonRedactor
from cloudtap.icloud.services.notes_proto import MARK, decode_body
from cloudtap.sandbox.services.notes_proto import (
    InlineAttachment,
    Paragraph,
    compress,
    encode_note,
)

PHOTO = "9C83CA7E-BB49-4B25-9630-13F92C5C1287"


def _record(blob: bytes) -> dict[str, object]:
    encoded = base64.b64encode(blob).decode()
    return {
        "recordName": "NOTE-1",
        "fields": {"TextDataEncrypted": {"value": encoded, "type": "ENCRYPTED_BYTES"}},
    }


def test_a_note_body_is_decoded_redacted_line_by_line_and_encoded_again() -> None:
    names = Pseudonyms(shift_days=-100)
    redactor = JsonRedactor(names)
    paragraphs = [
        Paragraph("Trip to Tokyo", style=0),
        Paragraph("Send the photos to Ines.", attachment=InlineAttachment(PHOTO, "public.png")),
        Paragraph("#groceries"),
    ]
    record = _record(compress(encode_note(paragraphs)))
    out = redactor.document({"records": [record], "attachment": {"recordName": PHOTO}})
    field = out["records"][0]["fields"]["TextDataEncrypted"]
    body = decode_body(base64.b64decode(field["value"]))
    assert body is not None
    mapped = [names.mapping[p.text] for p in paragraphs]
    assert body.marked == f"{mapped[0]}\n{mapped[1]}{MARK}\n{mapped[2]}\n"
    assert "Tokyo" not in body.marked and mapped[0] != "Trip to Tokyo"
    # The attachment is named as its record is everywhere else in the capture.
    assert body.attachments == ((out["attachment"]["recordName"], "public.png"),)
    assert out["attachment"]["recordName"] != PHOTO


def test_bytes_that_are_no_note_body_are_still_replaced_by_generated_bytes() -> None:
    names = Pseudonyms(shift_days=-100)
    blob = bytes(range(256)) * 4
    out = JsonRedactor(names).document(_record(blob))
    made = base64.b64decode(out["fields"]["TextDataEncrypted"]["value"])
    assert len(made) == len(blob) and made != blob


def test_multi_line_text_fields_are_redacted_line_by_line_not_replaced_by_bytes() -> None:
    """A table's text (``Salt\\nLemons``) stays text, each line mapped as in the body."""
    names = Pseudonyms(shift_days=-100)
    table = "Salt\n\U0001f34b Lemons\nButter"
    encoded = base64.b64encode(table.encode()).decode()
    record = {"fields": {"MergeableDataEncrypted": {"value": encoded, "type": "ENCRYPTED_BYTES"}}}
    out = JsonRedactor(names).document(record)
    text = base64.b64decode(out["fields"]["MergeableDataEncrypted"]["value"]).decode()
    assert text == "\n".join(names.mapping[line] for line in table.split("\n"))
    assert "Lemons" not in text


def test_a_calculation_with_thin_spaces_stays_text_and_maps_as_a_whole() -> None:
    names = Pseudonyms(shift_days=-100)
    calculation = "47*15\u2009=\u2009705"
    encoded = base64.b64encode(calculation.encode()).decode()
    record = {"fields": {"AltTextEncrypted": {"value": encoded, "type": "ENCRYPTED_BYTES"}}}
    out = JsonRedactor(names).document(record)
    text = base64.b64decode(out["fields"]["AltTextEncrypted"]["value"]).decode()
    assert text == names.mapping[calculation] and "*" in text and "\u2009=\u2009" in text
