"""A pull killed mid-download resumes: files finished before the kill are neither
fetched again by the pull nor downloaded again from Apple, and the copy completes."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest

from cloudtap.icloud.files.icpl import PhotoFileRef
from cloudtap.icloud.files.shared_photo import SCHEME as SHARED_SCHEME
from cloudtap.icloud.files.shared_photo import SharedPhotoFileRef
from cloudtap.pull.manifest import Manifest
from cloudtap.sandbox.hosts import CONTENT
from cloudtap.sandbox.photos.container import PRIMARY_ZONE
from cloudtap.sandbox.photos.resources import PREFIXES
from cloudtap.sandbox.photos.shared_streams import ALBUM_STRIDE, shared_streams
from cloudtap.sandbox.photos.urls import decode_token
from tests.pull.ground_truth import photo_bytes, photo_index, visible_photos
from tests.pull.sandbox_world import PASSWORD, REPO, SLOW, PullSandbox, pull_command, run_pull

KILL_AFTER_FILES = 6
ARGS = ("--data-types", "icpl.photos", "--password-env", "CT_TEST_PASSWORD")


def _manifest(root: Path) -> dict[str, Any]:
    """manifest.json with the files journal replayed, as the next pull reads it."""
    return Manifest.load(root).data


def _world_key(sandbox: PullSandbox, file_id: str) -> tuple[str, bool, int, int]:
    """(source, shared, index, resource code): what the sandbox's download URLs name."""
    if file_id.startswith(SHARED_SCHEME):  # a shared album's photo (shared-albums/)
        shared = SharedPhotoFileRef.parse(file_id)
        for stream in shared_streams(sandbox.account(SLOW)):
            for position, photo in enumerate(stream.photos):
                if shared.record_name in (photo.spec.master_name, photo.spec.asset_name):
                    index = stream.ordinal * ALBUM_STRIDE + position
                    return "s", False, index, PREFIXES.index(shared.resource)
        raise AssertionError(f"no shared photo holds {file_id}")
    ref = PhotoFileRef.parse(file_id)
    index = photo_index(sandbox.account(SLOW), ref.zone_name, ref.record_name)
    return "g", ref.zone_name != PRIMARY_ZONE, index, PREFIXES.index(ref.resource)


def _downloads(sandbox: PullSandbox, since: float) -> list[tuple[str, bool, int, int]]:
    """Downloads that started after ``since``: transfers the killed run had in flight are
    logged when the proxy notices the dead peer, which may be later."""
    out: list[tuple[str, bool, int, int]] = []
    for exchange in sandbox.running.exchanges():
        if exchange.host != CONTENT or exchange.method != "GET" or exchange.started < since:
            continue
        ref = decode_token(exchange.path.split("/")[2])
        assert ref is not None, exchange.path
        out.append((ref.source, ref.shared, ref.index, ref.code))
    return out


@pytest.mark.timeout(600)
def test_killed_pull_resumes_without_fetching_twice(
    pull_sandbox: PullSandbox, tmp_path: Path
) -> None:
    root = tmp_path / "copy"
    env = {**pull_sandbox.env(tmp_path), "CT_TEST_PASSWORD": PASSWORD}
    log = (tmp_path / "first.log").open("w")
    first = subprocess.Popen(
        pull_command(SLOW, "--to", str(root), *ARGS),
        cwd=REPO,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    deadline = time.monotonic() + 240
    while len(_manifest(root)["files"]) < KILL_AFTER_FILES:
        assert first.poll() is None, (tmp_path / "first.log").read_text()
        assert time.monotonic() < deadline, "the pull never got going"
        time.sleep(0.05)
    os.killpg(first.pid, signal.SIGKILL)  # the pull and its embedded server, mid-transfer
    first.wait()
    log.close()
    at_kill = _manifest(root)["files"]
    for entry in at_kill.values():
        assert (root / entry["path"]).stat().st_size == entry["size"]

    before = time.time()
    second = run_pull(env, SLOW, "--to", str(root), *ARGS)
    assert second.returncode == 0, second.stdout + second.stderr
    manifest = _manifest(root)
    files = manifest["files"]
    assert 0 < len(at_kill) < len(files), "the kill did not land mid-download"
    for file_id, entry in at_kill.items():
        assert files[file_id] == entry  # untouched: still the first run's copy

    run = manifest["runs"][-1]
    assert run["number"] == 2
    fetched_now = {fid for fid, e in files.items() if e["run"] == 2}
    assert run["files_fetched"] == len(fetched_now) == len(files) - len(at_kill)

    # At Apple's end: the resumed run downloads each missing file once, and none of
    # those the first run finished.
    downloads = _downloads(pull_sandbox, before)
    assert sorted(downloads) == sorted(_world_key(pull_sandbox, fid) for fid in fetched_now)
    assert not {_world_key(pull_sandbox, fid) for fid in at_kill} & set(downloads)

    # And the copy is whole and byte-exact.
    account = pull_sandbox.account(SLOW)
    originals = set()
    for file_id, entry in files.items():
        if entry["data_type"] != "icpl.photos":
            continue  # a shared album's own copy (test_cli_shared_albums checks those)
        ref = PhotoFileRef.parse(file_id)
        index = photo_index(account, ref.zone_name, ref.record_name)
        expected = photo_bytes(pull_sandbox.world, account, ref.zone_name, index, ref.resource)
        assert (root / entry["path"]).read_bytes() == expected
        if ref.resource == "resOriginal":
            originals.add((ref.zone_name, index))
    assert originals == {(p.zone, p.index) for p in visible_photos(account)}
    assert not list(root.rglob(".*.part"))  # no half-written file left behind
