"""``icpl://`` ids: stable, reversible, and refusing junk with a typed error."""

from __future__ import annotations

import pytest

from cloudtap.icloud import errors
from cloudtap.icloud.files.icpl import RESOURCE_CODES, PhotoFileRef


@pytest.mark.parametrize("resource", sorted(RESOURCE_CODES))
def test_round_trip(resource: str) -> None:
    ref = PhotoFileRef("private", "PrimarySync", "AY6c+BsE0jjaXx9tmVGJM1D2VcEO", resource)
    file_id = ref.to_id()
    assert file_id.startswith("icpl://")
    assert "/" not in file_id[len("icpl://") :]  # safe as a file name (ricloud-py uses it)
    assert PhotoFileRef.parse(file_id) == ref
    assert ref.to_id() == file_id  # stable


def test_shared_zone_round_trip() -> None:
    ref = PhotoFileRef(
        "shared", "SharedSync-00000000-1111-2222-3333-444444444444", "F2A2:3C38", "resJPEGFull"
    )
    assert PhotoFileRef.parse(ref.to_id()) == ref


@pytest.mark.parametrize(
    "junk", ["icpl://", "icpl://!!!", "icpl://Zm9v", "mme_contact_image://x", "icpl://eDpQOmE6bw"]
)
def test_junk_ids_are_not_found(junk: str) -> None:
    with pytest.raises(errors.NotFound):
        PhotoFileRef.parse(junk)
