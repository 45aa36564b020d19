"""A real note (pyicloud's sanitized rendering fixture): what Notes keeps inside the note
(tables, calculation results, hashtags, link cards, drawings) is not a file; what has a
downloadable asset (photo, scanned PDF, voice memo, contact card) is."""

from __future__ import annotations

from cloudtap.icloud.datatypes import mme_notes
from tests.icloud.datatypes.pyicloud_notes_fixture import load

FOLDERS = {"DefaultFolder-CloudKit": "Notes"}


def test_only_attachments_with_a_downloadable_asset_are_files() -> None:
    note, records = load()
    item = mme_notes.to_item(note, FOLDERS, records)
    files = item["attachments"]
    assert [(a["type"], a["extension"], a["name"], a["size"]) for a in files] == [
        ("public.jpeg", "jpg", "proxy-image.jpg", 281925),  # FileSize; bytes on its Media
        ("com.apple.paper.doc.pdf", "pdf", "READ ME FIRST", 1085161),  # FallbackPDF
        ("com.apple.m4a-audio", "m4a", "New Recording", 153809),
        ("public.vcard", "vcf", "Dr. Jane Alexandra Doe PhD.vcf", 72370),
    ]
    assert all(a["file_id"] == f"mme_notes_attachment://{a['id']}" for a in files)


def test_inline_attachments_publish_their_content_instead() -> None:
    note, records = load()
    inline = mme_notes.to_item(note, FOLDERS, records)["inline"]
    assert [(i["kind"], i["text"]) for i in inline] == [
        ("calculation", "\u2009=\u20094"),  # Apple pads with thin spaces
        ("calculation", "\u2009=\u2009$60.00"),
        ("graph", "y\u2009=\u2009"),
        ("drawing", None),
        ("table", "Column 1, Row 1\nColumn 2, Row 1\nColumn 1, Row 2\nColumn 2, Row 2"),
        ("table", _summary(records, 5)),
        ("table", _summary(records, 6)),
        ("link", "Group Chat That\u2019s All Fun & Games"),
        ("hashtag", "#mytag"),
        ("hashtag", "#mysecondtag"),
        ("drawing", "hello"),
    ]
    link = inline[7]
    assert link["url"] == "https://discord.com/channels/1380103226489307147/1380103227017662587"
    assert link["file_id"] is None and inline[4]["file_id"] is None
    # A drawing's picture is Apple's FallbackImage asset: downloadable, but not a file
    # attachment of its own.
    drawings = [i for i in inline if i["kind"] == "drawing"]
    assert [(d["file_id"], d["extension"], d["size"]) for d in drawings] == [
        (f"mme_notes_attachment://{d['id']}", "png", size)
        for d, size in zip(drawings, (139289, 53961), strict=True)
    ]


def test_inline_text_stays_in_the_body_and_objects_leave_it() -> None:
    note, records = load()
    body = mme_notes.to_item(note, FOLDERS, records)["body"]
    assert "2+2\u2009=\u20094\n" in body and "total \u2009=\u2009$60.00\n" in body
    assert "\nTags\n#mytag #mysecondtag\n" in body
    assert " y\u2009=\u2009x^2-2x-1\n" in body
    assert "\ufffc" not in body and "Test 1 \u2013 2x2 Table\n\n" in body


def test_without_the_records_the_uti_alone_decides() -> None:
    note, _ = load()
    item = mme_notes.to_item(note, FOLDERS, {})
    assert [a["type"] for a in item["attachments"]] == [
        "public.jpeg",
        "com.apple.paper.doc.pdf",
        "com.apple.m4a-audio",
        "public.vcard",
    ]
    assert len(item["inline"]) == 11 and all(a["extension"] != "bin" for a in item["attachments"])


def _summary(records: dict[str, dict], position: int) -> str:
    import base64

    record = list(records.values())[position]
    return base64.b64decode(record["fields"]["SummaryEncrypted"]["value"]).decode().rstrip("\n")
