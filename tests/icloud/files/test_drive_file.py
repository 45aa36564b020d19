"""``icloud_drive://`` file ids: reversible, and anything else is not-found."""

from __future__ import annotations

import base64

import pytest

from cloudtap.icloud import errors
from cloudtap.icloud.files.drive_file import DriveFileRef, content_etag, file_extension


def test_round_trip() -> None:
    ref = DriveFileRef("com.apple.Pages", "516C896C-6AA5-4A30-B30E-5502C2333DAE", 21, "pages", "32")
    assert DriveFileRef.parse(ref.to_id()) == ref


@pytest.mark.parametrize(
    "payload",
    [
        "",
        "zone:doc:12:pdf",  # no etag part
        "zone:doc:-1:pdf:2k",
        "zone:doc:big:pdf:2k",
        "../zone:doc:1:pdf:2k",
        "zone:do c:1:pdf:2k",
        "zone:doc:1:p/df:2k",
        "zone:doc:1:pdf:2k;rm",
    ],
)
def test_malformed_ids_are_not_found(payload: str) -> None:
    file_id = "icloud_drive://" + base64.urlsafe_b64encode(payload.encode()).decode().rstrip("=")
    with pytest.raises(errors.NotFound):
        DriveFileRef.parse(file_id)
    with pytest.raises(errors.NotFound):
        DriveFileRef.parse("icloud_drive://%%%")


def test_etag_and_extension_helpers() -> None:
    assert content_etag("2k::2j") == "2k" and content_etag(None) == ""
    assert content_etag("o72::o6y") == "o72" and content_etag("bad etag::x") == ""
    assert file_extension("PDF") == "pdf" and file_extension(None) == "bin"
    assert file_extension("key-tef") == "key-tef" and file_extension("a/b") == "bin"
