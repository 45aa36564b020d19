"""One pull: for each data type, list (incrementally where the API keeps a cursor),
merge into the known items, fetch the files not yet on disk, rewrite the exports.

Incremental rules (see docs/pull.md):
- photos, contacts, notes, reminders, calls and Safari history are asked with ``since`` =
  the end of the last listing, so the API resumes from its sealed sync-token cursor and
  lists only changes (contacts: Apple's ``/co/changeset``);
- Find My is one request and listed in full every time (which is also how its
  deletions are seen); the calendar has no change feed and is re-listed in full when
  its last full listing is older than ``calendar_refresh`` (or with ``full``);
- a full listing records the items that disappeared as deletions in the manifest; they
  are removed from the copy only with ``apply_deletions``.

No path is trusted (cloudtap.pull.paths): those the manifest and journal record and those
built from the server's data are each checked to stay inside the folder before anything
is deleted, written or read there; what is refused is named and the run goes on.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path, PurePosixPath
from typing import Any

import httpx

from cloudtap.pull import album_folders
from cloudtap.pull.client import JSON, ApiError, CloudtapClient
from cloudtap.pull.exporters import Item, Wanted, safe_name, tables
from cloudtap.pull.exporters import calendar as calendar_export
from cloudtap.pull.exporters import contacts as contacts_export
from cloudtap.pull.exporters import drive as drive_export
from cloudtap.pull.exporters import notes as notes_export
from cloudtap.pull.exporters import photos as photos_export
from cloudtap.pull.exporters import reminders as reminders_export
from cloudtap.pull.exporters import shared_albums as shared_export
from cloudtap.pull.items import ItemStore
from cloudtap.pull.manifest import Manifest, Refusal
from cloudtap.pull.paths import OutsideCopy, append_private, inside
from cloudtap.pull.progress import Progress
from cloudtap.pull.state import STATE_DIR, state_dir

DELETIONS_LOG = f"{STATE_DIR}/deletions.jsonl"
PHOTOS, CONTACTS, CALENDAR, NOTES = (
    "icpl.photos",
    "mme_contacts.contacts",
    "mme_calendar.events",
    "mme_notes.notes",
)
REMINDERS = reminders_export.DATA_TYPE
ALBUMS = "icpl.albums"  # read for --album and --list-albums, not copied
LAYOUTS = ("dates", "albums")
ALBUMS_PER_POLL = 100  # the albums filter's limit (docs/data-types.md)
DRIVE = drive_export.DATA_TYPE
# Shared albums' photos: pulled with photos (no data type of their own to ask for).
SHARED = shared_export.DATA_TYPE
ALL_TYPES = (
    PHOTOS,
    CONTACTS,
    CALENDAR,
    NOTES,
    REMINDERS,
    tables.CALLS,
    tables.HISTORY,
    tables.FINDMY,
    DRIVE,
)
CHANGE_FEED = {PHOTOS, CONTACTS, NOTES, REMINDERS, tables.CALLS, tables.HISTORY, DRIVE}
# Types whose changed items may move or replace their files (a renamed or edited Drive file).
FILES_FOLLOW_ITEMS = {DRIVE}
FILES_PER_POLL = 16
PARALLEL_POLLS = 4  # the API moves at most 4 files of one account at a time
DEFAULT_CALENDAR_REFRESH = 24 * 3600.0
# File errors that another try will not mend (asked again only with --full).
PERMANENT = {"not-found", "unsupported-type"}


@dataclass
class PullOptions:
    root: Path
    data_types: tuple[str, ...] = ALL_TYPES
    since: str | None = None  # the user's own lower bound (first pull)
    folder_structure: str = photos_export.DEFAULT_FOLDERS
    folder_time_zone: str = "local"  # or "utc"
    apply_deletions: bool = False
    full: bool = False
    verify: bool = False
    calendar_refresh: float = DEFAULT_CALENDAR_REFRESH
    albums: tuple[str, ...] = ()  # photos only from these albums (names, as icloudpd's)
    layout: str = "dates"  # or "albums": the date tree and albums/ mirroring the albums


@dataclass
class RunSummary:
    started: str
    number: int = 0
    finished: str = ""
    files_fetched: int = 0
    bytes_fetched: int = 0
    data_types: dict[str, dict[str, Any]] = field(default_factory=dict)
    refused: list[Refusal] = field(default_factory=list)  # paths that led out of the folder

    def as_json(self) -> JSON:
        return {
            "number": self.number,
            "started": self.started,
            "finished": self.finished,
            "files_fetched": self.files_fetched,
            "bytes_fetched": self.bytes_fetched,
            "data_types": self.data_types,
            "refused": self.refused,
        }


def now_iso() -> str:
    return datetime.now(UTC).isoformat()


def library_albums(listed: list[Item]) -> list[Item]:
    """The library's albums: shared albums are pulled on their own (``shared-albums/``)."""
    return [a for a in listed if a.get("kind") != "shared"]


def album_ids(listed: list[Item], names: tuple[str, ...]) -> list[str]:
    """The ``icpl.albums`` ids of albums named ``names`` (icloudpd's ``--album``); an
    unknown name, or a folder's, is an error naming the albums there are."""
    by_name = {str(a.get("name")): a for a in listed if a.get("kind") != "folder"}
    unknown = [n for n in names if n not in by_name]
    if unknown:
        known = ", ".join(sorted(by_name))
        raise ValueError(f"no album named {', '.join(map(repr, unknown))} (albums: {known})")
    return [str(by_name[n]["id"]) for n in names]


def _age_seconds(iso: str | None) -> float:
    if not iso:
        return float("inf")
    return (datetime.now(UTC) - datetime.fromisoformat(iso)).total_seconds()


def wanted_files(data_type: str, item: Item, options: PullOptions) -> list[Wanted]:
    if data_type == PHOTOS:
        return photos_export.wanted(item, options.folder_structure, options.folder_time_zone)
    if data_type == CONTACTS:
        return contacts_export.wanted(item)
    if data_type == NOTES:
        return notes_export.wanted(item)
    if data_type == DRIVE:
        return drive_export.wanted(item)
    if data_type == SHARED:
        return shared_export.wanted(item)
    return []


def write_exports(
    data_type: str, root: Path, items: dict[str, Item], files: dict[str, str]
) -> list[OutsideCopy]:
    """Rewrite the type's export; the writes (and reads) refused as outside the folder."""
    if data_type == CONTACTS:
        return contacts_export.export(root, items, files)
    if data_type == CALENDAR:
        return calendar_export.export(root, items, files)
    if data_type == NOTES:
        return notes_export.export(root, items, files)
    if data_type == REMINDERS:
        return reminders_export.export(root, items, files)
    if data_type == DRIVE:
        return drive_export.export(root, items, files)
    if data_type in tables.TARGETS:
        return tables.export_table(data_type, root, items)
    return []


class SessionExpired(Exception):
    """Apple no longer honours the session: log in again and run again."""


def _next_second(iso: str | None) -> str | None:
    """The API stamps polls to the second; the cursor it keeps is usable for a ``since``
    at or after the listing's start, so round up rather than down."""
    if not iso:
        return None
    moment = datetime.fromisoformat(iso.replace("Z", "+00:00"))
    return (moment.replace(microsecond=0) + timedelta(seconds=1)).isoformat()


class Runner:
    def __init__(
        self,
        client: CloudtapClient,
        session_id: str,
        options: PullOptions,
        progress: Progress,
        on_manifest: Callable[[Manifest], None] = lambda m: None,
        refused: list[Refusal] | None = None,
    ) -> None:
        """``refused``: what an earlier load of this manifest refused (to report)."""
        self.client, self.session_id, self.options = client, session_id, options
        self.progress = progress
        self.root = options.root
        state_dir(self.root)
        self.manifest = Manifest.load(self.root)
        self.store = ItemStore(self.root)
        self.refused: list[Refusal] = []
        for earlier in [*(refused or []), *self.manifest.refused]:
            self._report(earlier)
        on_manifest(self.manifest)

    def _report(self, refusal: Refusal) -> None:
        self.refused.append(refusal)
        where = f"; recorded in {refusal['source']}" if refusal.get("source") else ""
        self.progress.message(
            f"refused {refusal['path']!r}: {refusal['reason']} ({refusal['what']}{where})"
        )

    def _refuse(self, exc: OutsideCopy, what: str) -> None:
        self._report({"path": exc.path, "reason": exc.reason, "what": what})

    def run(self) -> RunSummary:
        summary = RunSummary(started=now_iso(), refused=self.refused)
        # Counted at the start, so a run that was killed keeps its number.
        run_number = int(self.manifest.data.get("run_count", 0)) + 1
        self.manifest.data["run_count"] = summary.number = run_number
        self.manifest.save()
        for data_type in self.options.data_types:
            summary.data_types[data_type] = self._pull_type(data_type, summary, run_number)
        photos = summary.data_types.get(PHOTOS)
        if photos is not None and not photos.get("error"):
            shared = self._pull_shared_albums(run_number)
            if shared is not None:
                summary.files_fetched += shared.get("files_fetched", 0)
                summary.bytes_fetched += shared.get("bytes_fetched", 0)
                summary.data_types[SHARED] = shared
        if self.options.layout == "albums" and photos is not None and not photos.get("error"):
            summary.data_types[ALBUMS] = self._mirror_albums()
        summary.finished = now_iso()
        self.manifest.add_run(summary.as_json())
        self.manifest.save()
        return summary

    # -- one data type -------------------------------------------------------------

    def _mode(self, data_type: str, entry: dict[str, Any]) -> tuple[str, str | None]:
        """("full" | "changes" | "kept" | "albums", since) for this data type's listing."""
        if data_type == PHOTOS and self.options.albums:
            return "albums", None  # album listings are whole and never incremental
        cursor = (entry.get("cursor") or {}).get("since")
        if self.options.full or not entry.get("last_full"):
            return "full", self.options.since
        if data_type in CHANGE_FEED and cursor:
            return "changes", cursor
        if (
            data_type == CALENDAR
            and _age_seconds(entry["last_full"]) < self.options.calendar_refresh
        ):
            return "kept", None
        return "full", self.options.since

    def _pull_type(self, data_type: str, summary: RunSummary, run: int) -> dict[str, Any]:
        entry = self.manifest.data_type(data_type)
        mode, since = self._mode(data_type, entry)
        report: dict[str, Any] = {"mode": mode, "listing_started": time.time()}
        self.progress.listing(data_type, mode)
        items = self.store.load(data_type)
        if mode != "kept":
            listed = self._list(data_type, since, entry)
            if listed is None:
                report["error"] = entry.get("error")
                report["listing_finished"] = time.time()
                self.progress.done(data_type, f"failed: {entry.get('error')}")
                return report
            listed_items, gone, poll = listed
            report["listed"] = len(listed_items)
            fresh = {str(i.get("id")): i for i in listed_items}
            if mode == "full" and since is None:  # what a whole listing lacks is gone
                gone = [item_id for item_id in items if item_id not in fresh]
            # (A listing bounded by --since, or by albums, lacks other items without
            # their being gone.)
            report["deleted"] = self._record_deletions(data_type, entry, items, fresh, gone)
            if data_type in FILES_FOLLOW_ITEMS:
                self._follow_items(data_type, items, fresh)
            items.update(fresh)
            self.store.save(data_type, items)
            entry["listed_at"] = now_iso()
            if mode != "albums":  # a part of the library: no cursor for the whole of it
                entry["cursor"] = {
                    "since": _next_second(poll.get("date_completed")),
                    "poll": poll.get("id"),
                }
            if mode == "full":
                entry["last_full"] = entry["listed_at"]
        report["listing_finished"] = time.time()
        entry["count"] = len(items) - len(entry["deleted"])
        self.manifest.save()
        self.progress.listed(data_type, len(items))
        fetched, size = self._fetch_files(data_type, items, entry, run)
        summary.files_fetched += fetched
        summary.bytes_fetched += size
        report.update(files_fetched=fetched, bytes_fetched=size, files_finished=time.time())
        known = {fid: e["path"] for fid, e in self.manifest.files.items()}
        for refusal in write_exports(data_type, self.root, items, known):
            self._refuse(refusal, f"{data_type} export")
        self.progress.done(data_type)
        return report

    def _list(
        self, data_type: str, since: str | None, entry: dict[str, Any]
    ) -> tuple[list[Item], list[str], JSON] | None:
        """The listed items, the ids Apple reports deleted since ``since`` (an incremental
        listing's ``deleted``), and the poll."""
        payload: JSON = {"data_types": [data_type]}
        if since:
            payload["since"] = since
        if data_type == PHOTOS and self.options.albums:
            albums = self.list_albums()
            if albums is None:
                entry["error"] = "no-result"
                self.manifest.save()
                return None
            shared = {str(a.get("name")) for a in albums if a.get("kind") == "shared"}
            names = tuple(n for n in self.options.albums if n not in shared)
            if not names:  # only shared albums asked for: they are pulled on their own
                return [], [], {}
            payload["filters"] = {"albums": album_ids(library_albums(albums), names)}
        poll = self.client.poll(self.session_id, payload)
        errors = [
            e
            for e in poll.get("errors", {}).get("data", [])
            if e.get("target") in (None, data_type)
        ]
        results = [
            r for r in poll.get("results", {}).get("data", []) if r.get("identifier") == data_type
        ]
        if any(e.get("error") == "session-expired" for e in errors):
            raise SessionExpired()
        if not results:
            entry["error"] = errors[0].get("error") if errors else "no-result"
            self.manifest.save()
            return None
        entry.pop("error", None)
        body = self.client.json_result(results[0])
        self.client.ack([str(r["id"]) for r in results])
        gone = [str(i) for i in body.get("deleted") or []]
        return list(body.get("data") or []), gone, poll

    # -- albums as folders -----------------------------------------------------------

    def _mirror_albums(self) -> dict[str, Any]:
        """``albums/`` made to mirror the albums as listed now (their members' files
        linked from the date tree); left as it was when a listing fails."""
        self.progress.listing(ALBUMS, "full")
        everything = self.list_albums()
        listed = None if everything is None else library_albums(everything)
        shared = {str(a.get("name")) for a in everything or [] if a.get("kind") == "shared"}
        names = tuple(n for n in self.options.albums if n not in shared)
        wanted = set(album_ids(listed, names)) if listed and self.options.albums else None
        folders = album_folders.album_folders(listed or [], wanted)
        members = self._album_members(list(folders)) if listed is not None else None
        if members is None:
            self.progress.done(ALBUMS, "failed: no-result")
            return {"error": "no-result"}
        previous = self.manifest.data.get("album_links")
        links = album_folders.album_links(folders, members, self.manifest.files)
        done = album_folders.mirror(
            self.root, folders, links, previous if isinstance(previous, dict) else {}
        )
        for refusal in done.refused:
            self._refuse(refusal, "album folder")
        self.manifest.data["album_links"] = done.kept
        self.manifest.save()
        self.progress.done(ALBUMS)
        return {"albums": len(folders), "links": len(done.kept), "made": done.made,
                "removed": done.removed}  # fmt: skip

    # -- shared albums ---------------------------------------------------------------

    def _pull_shared_albums(self, run: int) -> dict[str, Any] | None:
        """``shared-albums/<Album>/``: every shared album's photos (only those named by
        ``--album`` when it is given); None when the account shares no album. Listed whole
        every time (the shared albums alone, then their photos: the album list and a page
        per 100 photos each); a file already in the copy is not fetched again."""
        body = self._listing(
            {"data_types": [ALBUMS], "filters": {"album_kinds": ["shared"]}}, ALBUMS
        )
        if body is None:
            return {"error": "no-result"}
        shared = [a for a in body.get("data") or [] if a.get("kind") == "shared"]
        if self.options.albums:
            shared = [a for a in shared if a.get("name") in self.options.albums]
        entry = self.manifest.data_type(SHARED)
        items = self.store.load(SHARED)
        if not shared and not items:
            return None
        report: dict[str, Any] = {"mode": "full", "listing_started": time.time()}
        self.progress.listing(SHARED, "full")
        folders = shared_export.album_folders(shared)
        names = {str(a.get("id")): str(a.get("name")) for a in shared}
        members = self._album_members(list(folders)) if folders else {}
        if members is None:
            entry["error"] = "no-result"
            self.manifest.save()
            self.progress.done(SHARED, "failed: no-result")
            return {"error": "no-result"}
        entry.pop("error", None)
        fresh: dict[str, Item] = {}
        for album_id, folder in folders.items():
            for item in shared_export.place(members[album_id], folder):
                fresh[str(item.get("id"))] = {**item, "shared_album_name": names[album_id]}
        # With --album, the albums not asked for are not gone.
        asked = set(self.options.albums)
        gone = [
            i
            for i, item in items.items()
            if i not in fresh and (not asked or item.get("shared_album_name") in asked)
        ]
        report["listed"] = len(fresh)
        report["deleted"] = self._record_deletions(SHARED, entry, items, fresh, gone)
        self._follow_items(SHARED, items, fresh)  # a renamed album moves its photos
        items.update(fresh)
        self.store.save(SHARED, items)
        entry["listed_at"] = entry["last_full"] = now_iso()
        entry["count"] = len(items) - len(entry["deleted"])
        report["listing_finished"] = time.time()
        self.manifest.save()
        self.progress.listed(SHARED, len(items))
        fetched, size = self._fetch_files(SHARED, items, entry, run)
        report.update(files_fetched=fetched, bytes_fetched=size, files_finished=time.time())
        self.manifest.save()
        self.progress.done(SHARED)
        return report

    def _album_members(self, album_ids_: list[str]) -> dict[str, list[Item]] | None:
        """album id → its assets (``icpl.photos`` filtered by ``albums``); None when a
        listing failed (a vanished album included): never an empty album by mistake."""
        members: dict[str, list[Item]] = {i: [] for i in album_ids_}
        for start in range(0, len(album_ids_), ALBUMS_PER_POLL):
            chunk = album_ids_[start : start + ALBUMS_PER_POLL]
            payload: JSON = {"data_types": [PHOTOS], "filters": {"albums": chunk}}
            body = self._listing(payload, PHOTOS)
            if body is None:
                return None
            for item in body.get("data") or []:
                for album_id in item.get("albums") or []:
                    if album_id in members:
                        members[album_id].append(item)
        return members

    def _listing(self, payload: JSON, data_type: str) -> JSON | None:
        """One listing poll's JSON result, acknowledged; None when it has none."""
        poll = self.client.poll(self.session_id, payload)
        if any(e.get("error") == "session-expired" for e in poll.get("errors", {}).get("data", [])):
            raise SessionExpired()
        results = [
            r for r in poll.get("results", {}).get("data", []) if r.get("identifier") == data_type
        ]
        if not results:
            return None
        body = self.client.json_result(results[0])
        self.client.ack([str(r["id"]) for r in results])
        return body

    def list_albums(self) -> list[Item] | None:
        """The account's ``icpl.albums`` items; None when the listing failed."""
        body = self._listing({"data_types": [ALBUMS]}, ALBUMS)
        return None if body is None else list(body.get("data") or [])

    def _record_deletions(
        self,
        data_type: str,
        entry: dict[str, Any],
        items: dict[str, Item],
        fresh: dict[str, Item],
        gone: list[str],
    ) -> int:
        """Record ``gone`` items (those the copy holds) under the type's ``deleted`` and in
        ``.cloudtap-pull/deletions.jsonl``; with ``--apply-deletions`` remove every item
        recorded gone (now or by an earlier run) from the copy. Returns how many items
        were newly seen gone."""
        deleted: dict[str, str] = entry["deleted"]
        for item_id in fresh:
            deleted.pop(item_id, None)  # it came back
        held = [i for i in dict.fromkeys(gone) if i in items and i not in fresh]
        newly = [i for i in held if i not in deleted]
        self._log_deletions(data_type, newly, items, self.options.apply_deletions)
        for item_id in newly:
            deleted[item_id] = now_iso()
        if self.options.apply_deletions:
            earlier = [i for i in deleted if i in items and i not in newly]
            self._log_deletions(data_type, earlier, items, True)  # recorded before, now applied
            for item_id in [i for i in deleted if i in items]:
                self._remove_from_copy(data_type, items.pop(item_id))
            deleted.clear()
        return len(newly)

    def _follow_items(self, data_type: str, items: dict[str, Item], fresh: dict[str, Item]) -> None:
        """A changed item's files follow it: one that kept its id but not its path (a
        rename, a move, into Recently Deleted) is moved on disk; one whose id is gone (a
        new version of the file) is forgotten, and removed unless its successor takes its
        place (written over it when fetched)."""
        for item_id, item in fresh.items():
            old = items.get(item_id)
            if old is None:
                continue
            now = {w.file_id: w.path for w in wanted_files(data_type, item, self.options)}
            for want in wanted_files(data_type, old, self.options):
                entry = self.manifest.files.get(want.file_id)
                if entry is None:
                    continue
                if want.file_id not in now:
                    del self.manifest.files[want.file_id]
                    if entry["path"] not in now.values():
                        self._unlink(entry["path"], want.file_id)
                elif now[want.file_id] != entry["path"]:
                    self._move(want.file_id, entry, now[want.file_id])

    def _move(self, file_id: str, entry: dict[str, Any], path: str) -> None:
        try:
            source, target = inside(self.root, entry["path"]), inside(self.root, path)
        except OutsideCopy as exc:
            self._refuse(exc, file_id)
            return
        if not source.is_file() or source.is_symlink():
            return  # not there (or not ours): fetched again to the new place
        target.parent.mkdir(parents=True, exist_ok=True)
        os.replace(source, target)
        self.manifest.record_file(file_id, {**entry, "path": path})

    def _remove_from_copy(self, data_type: str, item: Item) -> None:
        for want in wanted_files(data_type, item, self.options):
            entry = self.manifest.files.pop(want.file_id, None)
            if entry is not None:
                self._unlink(entry["path"], want.file_id)
        if data_type == NOTES:  # the note's own Markdown file, and its emptied folder
            base = notes_export.base_path(item)
            self._unlink(f"{base}.md", f"note {item.get('id')}")
            try:
                folder = inside(self.root, base)
            except OutsideCopy as exc:
                self._refuse(exc, f"note {item.get('id')}")
                return
            if folder.is_dir() and not any(folder.iterdir()):
                folder.rmdir()

    def _unlink(self, relative: str, what: str) -> None:
        """Remove ``relative`` (the link itself if it is one) only if it is inside."""
        try:
            inside(self.root, relative)
        except OutsideCopy as exc:
            self._refuse(exc, what)
            return
        (self.root / relative).unlink(missing_ok=True)

    def _log_deletions(
        self, data_type: str, gone: list[str], items: dict[str, Item], applied: bool
    ) -> None:
        """One JSON line per deletion seen on Apple's side, and again when it is applied:
        when, what, the files of the copy it had, and whether they were removed."""
        if not gone:
            return
        lines = []
        for item_id in gone:
            files = [
                self.manifest.files[w.file_id]["path"]
                for w in wanted_files(data_type, items[item_id], self.options)
                if w.file_id in self.manifest.files
            ]
            line = {
                "seen": now_iso(),
                "data_type": data_type,
                "id": item_id,
                "files": files,
                "applied": applied,
            }
            lines.append(json.dumps(line, ensure_ascii=False) + "\n")
        append_private(inside(self.root, DELETIONS_LOG), "".join(lines))

    # -- files ---------------------------------------------------------------------

    def _plan(self, data_type: str, items: dict[str, Item], entry: dict[str, Any]) -> list[Wanted]:
        """Files not yet intact on disk, each with a path no other file holds."""
        taken = {e["path"]: fid for fid, e in self.manifest.files.items()}
        plan: list[Wanted] = []
        for item_id, item in items.items():
            if item_id in entry["deleted"]:
                continue
            for want in wanted_files(data_type, item, self.options):
                if self.manifest.intact(want.file_id, self.options.verify):
                    continue
                if not self.options.full and entry["file_errors"].get(want.file_id) in PERMANENT:
                    continue  # Apple has no file for it: do not ask again every run
                path = self._recorded_path(want)
                if taken.get(path, want.file_id) != want.file_id:
                    p = PurePosixPath(path)
                    tag = safe_name(item_id[:7], "_")
                    path = str(p.with_name(f"{p.stem}-{tag}{p.suffix}"))
                taken[path] = want.file_id
                plan.append(Wanted(want.file_id, path, want.mtime, want.kind))
        return plan

    def _recorded_path(self, want: Wanted) -> str:
        """Where the file was put before, if that is still inside the folder; else the
        path built from the item now."""
        recorded = self.manifest.files.get(want.file_id)
        if not recorded:
            return want.path
        try:
            inside(self.root, recorded.get("path"))
        except OutsideCopy as exc:
            self._refuse(exc, want.file_id)
            return want.path
        return str(recorded["path"])

    def _fetch_files(
        self, data_type: str, items: dict[str, Item], entry: dict[str, Any], run: int
    ) -> tuple[int, int]:
        entry.setdefault("file_errors", {})
        plan = self._plan(data_type, items, entry)
        sizes = _announced_sizes(items)
        self.progress.files(data_type, len(plan), sum(sizes.get(w.file_id, 0) for w in plan))
        fetched = total = 0
        # Permanent failures not asked again stay on record; the rest are tried anew.
        failed = {f: e for f, e in entry["file_errors"].items() if e in PERMANENT}
        planned = {w.file_id for w in plan}
        failed = {f: e for f, e in failed.items() if f not in planned}
        batches = [plan[i : i + FILES_PER_POLL] for i in range(0, len(plan), FILES_PER_POLL)]
        with ThreadPoolExecutor(PARALLEL_POLLS) as pool:
            # A few file polls run ahead while finished ones are copied to disk in order.
            polls = [pool.submit(self._file_poll, batch) for batch in batches]
            for batch, future in zip(batches, polls, strict=True):
                poll = future.result()
                for error in poll.get("errors", {}).get("data", []):
                    failed[str(error.get("target"))] = str(error.get("error"))
                if "session-expired" in failed.values():
                    for other in polls:
                        other.cancel()
                    raise SessionExpired()
                done, size = self._store_batch(data_type, batch, poll, run, failed)
                fetched += done
                total += size
        entry["file_errors"] = failed
        return fetched, total

    def _file_poll(self, batch: list[Wanted]) -> JSON:
        return self.client.poll(self.session_id, {"files": [w.file_id for w in batch]})

    def _store_batch(
        self, data_type: str, batch: list[Wanted], poll: JSON, run: int, failed: dict[str, str]
    ) -> tuple[int, int]:
        results = {r.get("identifier"): r for r in poll.get("results", {}).get("data", [])}
        fetched = total = 0
        done: list[str] = []
        for want in batch:
            result = results.get(want.file_id)
            if result is None:
                continue
            try:
                target = inside(self.root, want.path)
            except OutsideCopy as exc:
                self._refuse(exc, want.file_id)
                failed[want.file_id] = "outside-copy"
                continue
            try:
                got = self.client.download(result, target)
            except (ApiError, httpx.HTTPError) as exc:
                # One damaged transfer does not stop the pull: the next run tries again.
                failed[want.file_id] = exc.error if isinstance(exc, ApiError) else "download-failed"
                continue
            if want.mtime is not None:
                os.utime(target, (want.mtime, want.mtime))
            self.manifest.record_file(
                want.file_id,
                {
                    "path": want.path,
                    "size": got.size,
                    "md5": got.md5,
                    "data_type": data_type,
                    "kind": want.kind,
                    "run": run,
                },
            )
            done.append(str(result["id"]))
            fetched += 1
            total += got.size
            self.progress.fetched(data_type, got.size)
        self.client.ack(done)  # consumed: the API's retention may drop them
        return fetched, total


def _announced_sizes(items: dict[str, Item]) -> dict[str, int]:
    sizes: dict[str, int] = {}
    for item in items.values():
        for file in item.get("files") or []:
            if file.get("id") and isinstance(file.get("size"), int):
                sizes[str(file["id"])] = int(file["size"])
        for attachment in item.get("attachments") or []:
            if attachment.get("file_id") and isinstance(attachment.get("size"), int):
                sizes[str(attachment["file_id"])] = int(attachment["size"])
    return sizes
