"""Reading Reminders' packed field values: pyicloud's synthetic fixture values (as its own
decoder reads them), the sandbox's encoder round-tripped, and input that is no such value
(a typed ``None``, never an exception)."""

from __future__ import annotations

import base64
import zlib
from datetime import datetime

import pytest

from cloudtap.icloud.services import reminders_wire as wire
from cloudtap.sandbox.services import reminders_wire as sandbox_wire

# pyicloud 2026.10.1 tests/fixtures/reminders/reminders_query_reminders_response.json
# (TitleDocument, NotesDocument) and reminders_query_alarm_date_trigger_response.json.
FIXTURE_TITLE = "eJzjYBCS4GAQYJASEhJwy6woKS1KVQhKzc3MS0ktAgBBdwbW"
FIXTURE_NOTES = "eJzjYBAS5WAQYJDiF+J1y6woKS1KVcjLL0ktBgAuaAXA"
FIXTURE_COMPONENTS = (
    "YnBsaXN0MDDUAQIDBAUGKCtZJGFyY2hpdmVyWCRvYmplY3RzVCR0b3BYJHZlcnNpb25fEA9OU0tleWVkQXJj"
    "aGl2ZXKlBwgbHyVVJG51bGzaCQoLDA0ODxAREhMUFBUWFxgVGRpWJGNsYXNzVk5TLmRheVdOUy5ob3VyXE5T"
    "LmxlYXBNb250aFlOUy5taW51dGVYTlMubW9udGheTlMucmVwZWF0ZWREYXlZTlMuc2Vjb25kW05TLnRpbWV6"
    "b25lV05TLnllYXKABBAJEAAQHhAKCIACEQfq0gkcHR5XTlMubmFtZYADXxATQW1lcmljYS9Mb3NfQW5nZWxl"
    "c9IgISIjWCRjbGFzc2VzWiRjbGFzc25hbWWiIyRaTlNUaW1lWm9uZVhOU09iamVjdNIgISYnoickXxAQTlNE"
    "YXRlQ29tcG9uZW50c9EpKlRyb290gAESAAGGoAAIABEAGwAkACkAMgBEAEoAUABlAGwAcwB7AIgAkgCbAKoA"
    "tADAAMgAygDMAM4A0ADSANMA1QDYAN0A5QDnAP0BAgELARYBGQEkAS0BMgE1AUgBSwFQAVIAAAAAAAACAQAA"
    "AAAAAAAsAAAAAAAAAAAAAAAAAAABVw=="
)


def test_reads_pyicloud_fixture_values() -> None:
    assert wire.document_text(base64.b64decode(FIXTURE_TITLE)) == "Fixture Reminder"
    assert wire.document_text(base64.b64decode(FIXTURE_NOTES)) == "Fixture notes"
    wall = wire.date_components(base64.b64decode(FIXTURE_COMPONENTS))
    assert wall is not None
    assert (wall.moment, wall.zone) == (datetime(2026, 10, 9, 9, 30), "America/Los_Angeles")
    aware = wall.aware()
    assert aware is not None and aware.utcoffset() is not None
    assert aware.isoformat() == "2026-10-09T09:30:00-07:00"


@pytest.mark.parametrize("text", ["", "Pay rent", "Zürich ✈️\nline two", "x" * 5000])
def test_the_sandbox_encoding_reads_back(text: str) -> None:
    assert wire.document_text(sandbox_wire.crdt_document(text)) == text


@pytest.mark.parametrize(
    "blob",
    [b"", b"\xff\xff\xff", zlib.compress(b"\x12\xff\x01abc"), b"bplist00garbage", b"\x0a"],
)
def test_unreadable_values_are_none(blob: bytes) -> None:
    assert wire.document_text(blob) is None
    assert wire.date_components(blob) is None


def test_list_colours() -> None:
    assert wire.color_hex('{"ckSymbolicColorName": "red", "daHexString": "#FF2968"}') == "#FF2968"
    assert wire.color_hex("#123456") == "#123456"
    assert wire.color_hex("{}") is None and wire.color_hex(None) is None
