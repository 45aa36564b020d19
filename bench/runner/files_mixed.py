"""``files-mixed``: photos, contact images and note attachments of ``rich@`` in one files
poll, and what one file of each type costs.

The account's contacts, notes and photos are listed through the API first (untimed). Each
run then polls every file of the three types at once (byte checks: every result's
``checksum`` is the MD5 of its stored file, and its size the listed one where the listing
gives one), then each type alone, so each type's time per file is its poll's time over its
files, lookups and book reads included. A contact image or a note attachment must cost at
most twice a photo file.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from bench.runner.api import CloudtapAPI
from bench.runner.report import Runs, Scenario

ACCOUNT = "rich"
LISTED = ["mme_contacts.contacts", "mme_notes.notes", "icpl.photos"]
KINDS = ("photo", "contact image", "note attachment")


def _items(poll: dict[str, Any], data_type: str) -> list[dict[str, Any]]:
    [result] = [r for r in poll["results"]["data"] if r["identifier"] == data_type]
    document = json.loads(Path(result["url"].removeprefix("local://")).read_bytes())
    return list(document["data"])


def listed_files(
    api: CloudtapAPI, session: str, per_type: int = 0
) -> dict[str, dict[str, int | None]]:
    """kind -> {file id: listed size (None when the listing gives none)}, at most
    ``per_type`` of each kind (0: all)."""
    _, poll = api.poll(session, {"data_types": LISTED})
    files: dict[str, dict[str, int | None]] = {kind: {} for kind in KINDS}
    for photo in _items(poll, "icpl.photos"):
        files["photo"] |= {f["id"]: f.get("size") for f in photo["files"]}
    for card in _items(poll, "mme_contacts.contacts"):
        if card.get("image"):
            files["contact image"][card["image"]["id"]] = None
    for note in _items(poll, "mme_notes.notes"):
        files["note attachment"] |= {a["file_id"]: a.get("size") for a in note["attachments"]}
    if per_type:
        files = {kind: dict(sorted(found.items())[:per_type]) for kind, found in files.items()}
    if not all(files.values()):
        raise RuntimeError(
            f"{ACCOUNT}@ lacks a file type: { {k: len(v) for k, v in files.items()} }"
        )
    return files


def _check(api: CloudtapAPI, poll_id: str, sizes: dict[str, int | None]) -> None:
    results = {r["identifier"]: r for r in api.results(poll_id)}
    if sorted(results) != sorted(sizes):
        raise RuntimeError(f"poll {poll_id}: {len(results)} results for {len(sizes)} files")
    for file_id, result in results.items():
        data = Path(result["url"].removeprefix("local://")).read_bytes()
        if result["checksum"] != hashlib.md5(data).hexdigest():
            raise RuntimeError(f"result {result['id']}: checksum is not its file's MD5")
        if sizes[file_id] is not None and len(data) != sizes[file_id]:
            raise RuntimeError(f"{file_id}: {len(data)} bytes, listed {sizes[file_id]}")


def _ms_per_file(api: CloudtapAPI, session: str, sizes: dict[str, int | None]) -> float:
    seconds, poll = api.poll(session, {"files": sorted(sizes)})
    _check(api, str(poll["id"]), sizes)
    return seconds * 1000 / len(sizes)


def _megabytes(poll_sizes: dict[str, int | None]) -> float:
    return sum(size or 0 for size in poll_sizes.values()) / 1e6


def _size_matched(
    photos: dict[str, int | None], kind: dict[str, int | None]
) -> dict[str, int | None]:
    """As many photo files as ``kind`` has, of about the same bytes in all: the run of
    neighbours in size order whose total is nearest ``kind``'s (ties by id, so every run
    picks the same ones)."""
    by_size = sorted(photos, key=lambda i: (photos[i] or 0, i))
    count, target = len(kind), sum(size or 0 for size in kind.values())
    totals = [0]
    for file_id in by_size:
        totals.append(totals[-1] + (photos[file_id] or 0))
    starts = range(max(1, len(by_size) - count + 1))
    best = min(
        starts, key=lambda at: abs(totals[min(at + count, len(by_size))] - totals[at] - target)
    )
    return {i: photos[i] for i in by_size[best : best + count]}


def files_mixed(
    name: str, runs: int, api: CloudtapAPI, session: str, per_type: int = 0
) -> list[Scenario]:
    files = listed_files(api, session, per_type)
    every = {file_id: size for sizes in files.values() for file_id, size in sizes.items()}
    # Each type against as many photo files in a poll of their own: a poll's fixed cost
    # (creating it, planning, settling, completing) is then shared by as many files. The
    # photo files are of about the same bytes in all: a note attachment averages ~500 KB
    # against a photo file's ~75 KB, and bytes through the shared link are not the
    # per-file cost this compares.
    same_count = {kind: _size_matched(files["photo"], files[kind]) for kind in KINDS[1:]}
    if any(len(same_count[k]) < len(files[k]) for k in KINDS[1:]):
        raise RuntimeError(f"{ACCOUNT}@ has fewer photo files than files of another type")
    mixed: list[float] = []
    alone: dict[str, list[float]] = {kind: [] for kind in KINDS[1:]}
    as_photos: dict[str, list[float]] = {kind: [] for kind in KINDS[1:]}
    for _ in range(runs):
        mixed.append(_ms_per_file(api, session, every))
        for kind in KINDS[1:]:
            alone[kind].append(_ms_per_file(api, session, files[kind]))
            as_photos[kind].append(_ms_per_file(api, session, same_count[kind]))
    counts = ", ".join(f"{len(files[k])} {k}s" for k in KINDS)
    scenarios = [
        Scenario(
            name, "ms per file", False, Runs(mixed), None, None,
            target="every file of the three types in one poll, checksums and sizes right",
            met=True,
            notes=[f"{ACCOUNT}@'s {counts} in one files poll, POST /polls to completed, over "
                   f"its files (photos {_megabytes(files['photo']):.1f} MB, note "
                   f"attachments {_megabytes(files['note attachment']):.1f} MB, contact "
                   "images small JPEGs)"],
        )
    ]  # fmt: skip
    for kind in KINDS[1:]:
        ours, photo = Runs(alone[kind]), Runs(as_photos[kind])
        count = len(files[kind])
        scenarios.append(
            Scenario(
                f"{name}-{kind.replace(' ', '-')}", "ms per file", False, ours,
                f"photo files ({count} in a poll of their own)", photo,
                target="≤ 2x a photo file's time", met=ours.median <= 2 * photo.median,
                notes=[f"a files poll of {count} {kind}s "
                       f"({_megabytes(files[kind]):.2f} MB listed), against one of "
                       f"{count} photo files ({_megabytes(same_count[kind]):.1f} MB), "
                       "each POST /polls to completed, over its files"],
            )
        )  # fmt: skip
    return scenarios
