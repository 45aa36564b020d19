"""``cloudtap pull --list-albums`` and ``--album`` (icloudpd's options) run as a user runs
them, against the sandbox: the album names printed, and a copy holding exactly the named
albums' photos, checked against the sandbox world's own albums."""

from __future__ import annotations

import json
from pathlib import Path

from cloudtap.icloud.files.icpl import PhotoFileRef
from cloudtap.sandbox.photos.container import PRIMARY_ZONE, source_for
from tests.pull.ground_truth import photo_index
from tests.pull.sandbox_world import PASSWORD, PullSandbox, run_pull

RICH = "rich@sandbox.cloudtap.dev"
UNICODE = "Été à Tōkyō 🌸"


def _env(sandbox: PullSandbox, home: Path) -> dict[str, str]:
    return {**sandbox.env(home), "RICH_PASSWORD": PASSWORD}


def test_list_albums_prints_every_album_name(pull_sandbox: PullSandbox, tmp_path: Path) -> None:
    done = run_pull(
        _env(pull_sandbox, tmp_path), RICH, "--to", str(tmp_path / "copy"),
        "--password-env", "RICH_PASSWORD", "--list-albums",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    source = source_for(pull_sandbox.account(RICH), "private", PRIMARY_ZONE)
    user_albums = {a.name for a in source.albums() if a.name}
    printed = done.stdout.splitlines()
    assert user_albums <= set(printed) and UNICODE in printed
    assert {"Library", "Favorites", "Videos", "Hidden", "Recently Deleted"} <= set(printed)
    assert not (tmp_path / "copy" / "photos").exists()  # nothing was pulled


def test_album_pulls_exactly_the_albums_photos(pull_sandbox: PullSandbox, tmp_path: Path) -> None:
    root = tmp_path / "copy"
    account = pull_sandbox.account(RICH)
    args = (
        RICH, "--to", str(root), "--password-env", "RICH_PASSWORD",
        "--data-types", "icpl.photos", "--album", "Rome", "--album", UNICODE,
    )  # fmt: skip
    done = run_pull(_env(pull_sandbox, tmp_path), *args)
    assert done.returncode == 0, done.stderr

    source = source_for(account, "private", PRIMARY_ZONE)
    expected: set[int] = set()
    for album in source.albums():
        if album.name in ("Rome", UNICODE):
            assert album.members is not None and len(album.members) > 0
            expected |= {album.members.at(r) for r in range(len(album.members))}
    manifest = json.loads((root / "manifest.json").read_text())
    originals = {fid: f for fid, f in manifest["files"].items() if f["kind"] == "original"}
    pulled = set()
    for file_id, entry in originals.items():
        ref = PhotoFileRef.parse(file_id)
        assert ref.zone_name == PRIMARY_ZONE
        pulled.add(photo_index(account, PRIMARY_ZONE, ref.record_name))
        assert (root / entry["path"]).stat().st_size == entry["size"]
    assert pulled == expected
    assert len(originals) == len(expected)

    again = run_pull(_env(pull_sandbox, tmp_path), *args)
    assert again.returncode == 0, again.stderr
    assert ": 0 files fetched" in again.stdout


def test_an_unknown_album_is_an_error_naming_the_albums(
    pull_sandbox: PullSandbox, tmp_path: Path
) -> None:
    done = run_pull(
        _env(pull_sandbox, tmp_path), RICH, "--to", str(tmp_path / "copy"),
        "--password-env", "RICH_PASSWORD", "--data-types", "icpl.photos", "--album", "Nope",
    )  # fmt: skip
    assert done.returncode != 0
    assert "no album named 'Nope'" in done.stderr and "Rome" in done.stderr
