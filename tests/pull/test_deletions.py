"""Deletions on Apple's side: recorded in the manifest and kept in the copy, removed
only with --apply-deletions."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Any

import vobject

from cloudtap.sandbox.services.content import contacts as contacts_gen
from tests.pull.sandbox_world import PASSWORD, SLOW, PullSandbox, run_pull

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
    smaller = replace(spec, contacts=spec.contacts - 1)
    pull_sandbox.world.accounts[SLOW] = replace(account, content=smaller)
    gone = sorted(set(everyone) - set(contacts_gen.contact_ids(smaller)))
    assert len(gone) == 1

    manifest = _pull(pull_sandbox, tmp_path, root)
    entry = manifest["data_types"]["mme_contacts.contacts"]
    assert len(entry["deleted"]) == 1 and entry["count"] == spec.contacts - 1
    assert _uids(root) == everyone  # kept in the copy
    files_before = manifest["files"]

    manifest = _pull(pull_sandbox, tmp_path, root, "--apply-deletions")
    entry = manifest["data_types"]["mme_contacts.contacts"]
    assert entry["deleted"] == {} and entry["count"] == spec.contacts - 1
    assert _uids(root) == sorted(contacts_gen.contact_ids(smaller))
    removed = {fid: e for fid, e in files_before.items() if fid not in manifest["files"]}
    index = contacts_gen.index_of(spec, gone[0])
    assert index is not None
    had_photo = contacts_gen.person(spec, index).has_photo
    assert len(removed) == int(had_photo)
    for entry in removed.values():
        assert not (root / entry["path"]).exists()
