"""Deletions on Apple's side: recorded in the manifest (and ``deletions.jsonl``) and kept
in the copy, removed only with --apply-deletions. Contacts, photos, notes, calls and
Safari history are seen gone by an incremental listing (``/co/changeset``'s deletes, the
CloudKit change feeds' tombstones, published as the result's ``deleted``)."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

import vobject

from cloudtap.icloud.datatypes.common import stable_id
from cloudtap.icloud.files.icpl import PhotoFileRef
from cloudtap.pull.runner import DELETIONS_LOG
from cloudtap.sandbox.accounts.model import GeneratedLibrary
from cloudtap.sandbox.cloudkit.context import state_of
from cloudtap.sandbox.photos import generator
from cloudtap.sandbox.photos.container import PRIMARY_ZONE
from cloudtap.sandbox.photos.edits import PhotosEdits
from cloudtap.sandbox.services import _ckzone
from cloudtap.sandbox.services.callhistory import CallHistoryContainer
from cloudtap.sandbox.services.content import contacts as contacts_gen
from cloudtap.sandbox.services.notes import NotesContainer
from cloudtap.sandbox.services.safari import SafariHistoryContainer
from tests.pull.sandbox_world import PASSWORD, PLAIN, SLOW, PullSandbox, run_pull

ARGS = ("--data-types", "mme_contacts.contacts", "--password-env", "CT_TEST_PASSWORD")


def _pull(sandbox: PullSandbox, tmp_path: Path, root: Path, *extra: str) -> dict[str, Any]:
    env = {**sandbox.env(tmp_path), "CT_TEST_PASSWORD": PASSWORD}
    done = run_pull(env, SLOW, "--to", str(root), *ARGS, *extra)
    assert done.returncode == 0, done.stdout + done.stderr
    assert PASSWORD not in done.stdout + done.stderr
    # Not a terminal: a plain log, one line per step.
    assert "mme_contacts.contacts: listing (" in done.stderr, done.stderr
    return dict(json.loads((root / "manifest.json").read_text()))


def _uids(root: Path) -> list[str]:
    text = (root / "contacts/contacts.vcf").read_text()
    return sorted(card.uid.value for card in vobject.readComponents(text))


def test_deletions_are_recorded_then_applied_on_request(
    pull_sandbox: PullSandbox, tmp_path: Path
) -> None:
    root = tmp_path / "copy"
    account = pull_sandbox.account(SLOW)
    spec = account.content
    _pull(pull_sandbox, tmp_path, root)
    everyone = sorted(contacts_gen.contact_ids(spec))
    assert _uids(root) == everyone

    # On Apple's side the last contact goes away.
    pull_sandbox.world.delete_contact(SLOW, spec.contacts - 1)
    gone = [contacts_gen.contact_id(spec, spec.contacts - 1)]
    left = sorted(set(everyone) - set(gone))

    manifest = _pull(pull_sandbox, tmp_path, root)
    entry = manifest["data_types"]["mme_contacts.contacts"]
    assert len(entry["deleted"]) == 1 and entry["count"] == spec.contacts - 1
    assert _uids(root) == everyone  # kept in the copy
    files_before = manifest["files"]

    manifest = _pull(pull_sandbox, tmp_path, root, "--apply-deletions")
    entry = manifest["data_types"]["mme_contacts.contacts"]
    assert entry["deleted"] == {} and entry["count"] == spec.contacts - 1
    assert _uids(root) == left
    removed = {fid: e for fid, e in files_before.items() if fid not in manifest["files"]}
    index = contacts_gen.index_of(spec, gone[0])
    assert index is not None
    had_photo = contacts_gen.person(spec, index).has_photo
    assert len(removed) == int(had_photo)
    for entry in removed.values():
        assert not (root / entry["path"]).exists()


CHANGE_FEEDS = {
    # data type: (sandbox container, record type, the kind its item ids are made from)
    "mme_notes.notes": (NotesContainer(), "Note", "note"),
    "callkit.calls": (CallHistoryContainer(), "CallRecord", "call"),
    "cloudkit_safari.history": (SafariHistoryContainer(), "HistoryVisit", "visit"),
}
FEED_ARGS = ("--data-types", ",".join(["icpl.photos", *CHANGE_FEEDS]))


def _plain_pull(sandbox: PullSandbox, tmp_path: Path, root: Path, *extra: str) -> dict[str, Any]:
    env = {**sandbox.env(tmp_path), "CT_TEST_PASSWORD": PASSWORD}
    args = ("--password-env", "CT_TEST_PASSWORD", *FEED_ARGS, *extra)
    done = run_pull(env, PLAIN, "--to", str(root), *args)
    assert done.returncode == 0, done.stdout + done.stderr
    return dict(json.loads((root / "manifest.json").read_text()))


def _delete_on_apples_side(sandbox: PullSandbox, root: Path) -> dict[str, str]:
    """One item of each change-feed type deleted, as the user's device would: a note,
    a call and a visit (tombstones) and a photo (to Recently Deleted). Their item ids."""
    account = sandbox.account(PLAIN)
    gone: dict[str, str] = {}
    for data_type, (container, record_type, kind) in CHANGE_FEEDS.items():
        log = container.change_log(account)
        name = next(
            str(log.record_at(p)["recordName"])
            for p in range(log.total)
            if log.type_at(p) == record_type
        )
        _ckzone.delete_record(sandbox.world, account.dsid, container.name, name)
        gone[data_type] = stable_id(kind, name)
    library = account.photos
    assert isinstance(library, GeneratedLibrary)
    spec = generator.asset(library.seed, PRIMARY_ZONE, 0)
    state_of(sandbox.world, "photos-edits", PhotosEdits).set_deleted(
        account.dsid, PRIMARY_ZONE, 0, True
    )
    photos = json.loads((root / ".cloudtap-pull/items/icpl.photos.json").read_text())
    [photo] = [
        item_id
        for item_id, item in photos.items()
        if any(
            PhotoFileRef.parse(f["id"]).record_name in (spec.master_name, spec.asset_name)
            for f in item["files"]
        )
    ]
    gone["icpl.photos"] = photo
    return gone


def _csv_ids(path: Path) -> set[str]:
    with open(path, newline="") as fh:
        return {row["id"] for row in csv.DictReader(fh)}


def test_an_incremental_pull_records_deletions_from_the_change_feeds(
    pull_sandbox: PullSandbox, tmp_path: Path
) -> None:
    root = tmp_path / "copy"
    first = _plain_pull(pull_sandbox, tmp_path, root)
    gone = _delete_on_apples_side(pull_sandbox, root)
    photo_files = {
        fid: e["path"] for fid, e in first["files"].items() if e["data_type"] == "icpl.photos"
    }
    notes = {p.relative_to(root) for p in (root / "notes").rglob("*.md")}

    second = _plain_pull(pull_sandbox, tmp_path, root)
    run = second["runs"][-1]
    for data_type, item_id in gone.items():
        assert run["data_types"][data_type]["mode"] == "changes"  # not a --full listing
        assert run["data_types"][data_type]["deleted"] == 1
        entry = second["data_types"][data_type]
        assert list(entry["deleted"]) == [item_id], data_type
        assert entry["count"] == first["data_types"][data_type]["count"] - 1
    # Recorded, one line each, with the files the copy keeps of them ...
    lines = [json.loads(x) for x in (root / DELETIONS_LOG).read_text().splitlines()]
    assert {(x["data_type"], x["id"]) for x in lines} == set(gone.items())
    assert all(x["applied"] is False for x in lines)
    [photo_line] = [x for x in lines if x["data_type"] == "icpl.photos"]
    assert photo_line["files"] and set(photo_line["files"]) <= set(photo_files.values())
    # ... and nothing is removed from the copy.
    assert second["files"] == first["files"]
    assert all((root / path).exists() for path in photo_files.values())
    assert {p.relative_to(root) for p in (root / "notes").rglob("*.md")} == notes
    assert gone["callkit.calls"] in _csv_ids(root / "calls/calls.csv")
    assert gone["cloudkit_safari.history"] in _csv_ids(root / "safari/history.csv")

    third = _plain_pull(pull_sandbox, tmp_path, root, "--apply-deletions")
    for data_type in gone:
        assert third["data_types"][data_type]["deleted"] == {}
        assert third["data_types"][data_type]["count"] == second["data_types"][data_type]["count"]
    for path in photo_line["files"]:
        assert not (root / path).exists()
    applied = [json.loads(x) for x in (root / DELETIONS_LOG).read_text().splitlines()][4:]
    assert {(x["data_type"], x["id"]) for x in applied} == set(gone.items())
    assert all(x["applied"] is True for x in applied)
    assert {fid for fid in photo_files if fid not in third["files"]} == {
        fid for fid, path in photo_files.items() if path in photo_line["files"]
    }
    assert len(list((root / "notes").rglob("*.md"))) == len(notes) - 1
    assert gone["callkit.calls"] not in _csv_ids(root / "calls/calls.csv")
    assert gone["cloudkit_safari.history"] not in _csv_ids(root / "safari/history.csv")
