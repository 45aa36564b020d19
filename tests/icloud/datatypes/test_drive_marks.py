"""A Drive listing's cursor at drive-100k@'s size: small to keep, small to build and
read, and exact about what changed and what went (a cursor of the old format too)."""

from __future__ import annotations

import json
import tracemalloc

from cloudtap.icloud.datatypes.common import stable_id
from cloudtap.icloud.datatypes.drive_marks import (
    NewMarks,
    known_marks,
    mark_of,
)

ITEMS = 105_001  # drive-100k@: the root, 5,000 folders, 100,000 files


def _id(index: int) -> str:
    kind = "FOLDER" if index <= 5_000 else "FILE"
    return f"{kind}::com.apple.CloudDocs::1A2B3C4D-0000-4000-8000-{index:012X}"


def _cursor(marks: NewMarks) -> dict[str, object]:
    return {"drive_marks": marks.to_cursor()}


def test_a_100k_cursor_is_small_to_build_keep_and_read() -> None:
    tracemalloc.start()
    try:
        marks = NewMarks()
        for index in range(ITEMS):
            marks.add(_id(index), index * 7919)
        cursor = _cursor(marks)
        _, built_peak = tracemalloc.get_traced_memory()
        del marks  # a listing reads its cursor before it starts the next one
        kept = json.loads(json.dumps(cursor))
        tracemalloc.reset_peak()
        known = known_marks(kept)
        _, read_peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    size = len(json.dumps(cursor))
    print(f"cursor {size / 2**20:.1f} MiB; peaks: build {built_peak / 2**20:.1f} MiB, "
          f"read {read_peak / 2**20:.1f} MiB")  # fmt: skip
    # The dict of ids to 16-hex digests it replaces: 8.7 MB as JSON, ~30 MB in memory
    # (bench/README.md, "iCloud Drive"), before sealing copied it.
    assert size < 4 * 2**20
    assert built_peak < 8 * 2**20 and read_peak < 20 * 2**20
    assert known is not None
    assert not known.changed(_id(42), 42 * 7919)
    assert known.changed(_id(43), 1)  # its mark differs
    assert known.changed(_id(ITEMS + 1), 0)  # new


def test_what_changed_and_what_went() -> None:
    marks = NewMarks()
    for index in range(10):
        marks.add(_id(index), index)
    known = known_marks(_cursor(marks))
    assert known is not None
    met = [i for i in range(10) if i not in (2, 7)]
    assert [i for i in met if known.changed(_id(i), i if i != 5 else 50)] == [5]
    assert known.gone() == sorted([_id(2), _id(7)])


def test_a_cursor_of_the_old_format_still_reads() -> None:
    item = {"id": _id(1), "name": "Report.pdf", "etag": "2k::2j", "size": 19_876_991}
    old = {"drive_etags": {_id(1): stable_id(json.dumps(item, sort_keys=True)), _id(2): "0" * 16}}
    known = known_marks(old)
    assert known is not None
    assert not known.changed(_id(1), mark_of(item))
    assert known.gone() == [_id(2)]


def test_an_unreadable_cursor_means_a_full_listing() -> None:
    for cursor in (
        None,
        {},
        {"drive_marks": {"version": 1, "ids": "not base64!", "marks": ""}},
        {"drive_marks": {"version": 1, "ids": "", "marks": "AAAAAAAAAAA="}},
        {"drive_marks": {"version": 2}},
        {"drive_etags": {"x": "not hex"}},
    ):
        assert known_marks(cursor) is None, cursor
