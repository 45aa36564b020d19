"""How a level of Drive folders is cut into ``retrieveItemDetailsInFolders`` requests,
and how a reply of many folders is read: as many folders a request as the expected reply
allows, read one folder at a time (docs/apple-evidence.md, "iCloud
Drive": the per-request bounds are assumed)."""

from __future__ import annotations

import pytest

from cloudtap.icloud import errors
from cloudtap.icloud.services import drive


def _sizes(batches: list[range]) -> list[int]:
    return [len(b) for b in batches]


def test_a_wide_level_goes_in_a_handful_of_requests() -> None:
    # drive-100k@'s second level: 4,950 folders of 20 files each.
    batches = drive.folder_batches([20] * 4_950)
    assert len(batches) <= 5
    assert [i for b in batches for i in b] == list(range(4_950))  # every folder, in order
    for batch in batches:
        assert len(batch) <= drive.FOLDERS_PER_REQUEST
        assert 20 * len(batch) <= drive.ITEMS_PER_REQUEST


def test_big_folders_fill_a_request_sooner() -> None:
    full = drive.ITEMS_PER_REQUEST
    assert _sizes(drive.folder_batches([full, 1, full // 2, full // 2, 3])) == [1, 2, 2]
    # A folder bigger than a request's budget still goes, alone.
    assert _sizes(drive.folder_batches([5, full * 3, 5])) == [1, 1, 1]


def test_folders_of_unknown_size_count_as_some() -> None:
    # App libraries carry no directChildrenCount: each counts as UNKNOWN_CHILDREN.
    many = drive.ITEMS_PER_REQUEST // drive.UNKNOWN_CHILDREN
    assert _sizes(drive.folder_batches([None] * (many + 1))) == [many, 1]
    assert drive.folder_batches([]) == []


def test_a_reply_is_read_a_folder_at_a_time_and_never_ends_short() -> None:
    two = b'[{"drivewsid": "a", "items": []}, {"drivewsid": "b", "status": "ID_INVALID"}]'
    read = drive.each_folder(two, 2)
    assert next(read) == {"drivewsid": "a", "items": []}  # before the rest is parsed
    assert list(read) == [{"drivewsid": "b", "status": "ID_INVALID"}]
    for body, asked in (
        (two, 3),  # one folder missing
        (two, 1),  # one more than asked
        (b'{"items": []}', 1),  # not a list
        (b'[{"drivewsid": "a", "items": [', 1),  # cut off
        (b'["a"]', 1),  # not a folder
    ):
        with pytest.raises(errors.AppleUnavailable):
            list(drive.each_folder(body, asked))
