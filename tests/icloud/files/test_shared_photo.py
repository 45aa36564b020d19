"""``icpl_shared://`` ids name the photo (album guid, record, resource), never its place
in the album, so a removal before it leaves its id alone; ids that carried a position
(an earlier version) are still read."""

from __future__ import annotations

import base64

import pytest

from cloudtap.icloud import errors
from cloudtap.icloud.files.shared_photo import SharedPhotoFileRef


def _encoded(*parts: str) -> str:
    raw = "\n".join(parts).encode()
    return "icpl_shared://" + base64.urlsafe_b64encode(raw).decode().rstrip("=")


def test_an_id_names_album_record_and_resource_only() -> None:
    ref = SharedPhotoFileRef("GUID", "REC-1", "resOriginal")
    assert ref.to_id() == _encoded("GUID", "REC-1", "o")
    assert SharedPhotoFileRef.parse(ref.to_id()) == ref


def test_an_earlier_id_with_a_position_reads_as_the_same_photo() -> None:
    ref = SharedPhotoFileRef.parse(_encoded("GUID", "REC-1", "o", "7"))
    assert ref == SharedPhotoFileRef("GUID", "REC-1", "resOriginal")


@pytest.mark.parametrize(
    "parts",
    [("GUID", "REC-1"), ("GUID", "", "o"), ("GUID", "REC-1", "zz"), ("G", "R", "o", "-1")],
)
def test_malformed_ids_are_not_found(parts: tuple[str, ...]) -> None:
    with pytest.raises(errors.NotFound):
        SharedPhotoFileRef.parse(_encoded(*parts))
