"""A copy whose manifest or journal was tampered with (a synced or restored folder): the
paths it records are checked before any use. Nothing outside the target folder is
deleted, written or read; the run names what it refused and completes the rest."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tests.pull.sandbox_world import PASSWORD, PLAIN, PullSandbox, run_pull

ARGS = ("--data-types", "icpl.photos", "--password-env", "CT_TEST_PASSWORD")
VICTIM = b"precious: not part of the copy\n"


def _pull(sandbox: PullSandbox, tmp_path: Path, root: Path, *extra: str) -> tuple[str, str]:
    env = {**sandbox.env(tmp_path), "CT_TEST_PASSWORD": PASSWORD}
    done = run_pull(env, PLAIN, "--to", str(root), *ARGS, *extra)
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout, done.stderr


def _photo_files(root: Path) -> list[tuple[str, str]]:
    """(item id, file id) of one file of each photo item, in a stable order."""
    items = json.loads((root / ".cloudtap-pull/items/icpl.photos.json").read_text())
    manifest = json.loads((root / "manifest.json").read_text())
    out = []
    for item_id in sorted(items):
        held = [f["id"] for f in items[item_id]["files"] if f["id"] in manifest["files"]]
        if held:
            out.append((item_id, sorted(held)[0]))
    return out


def _tamper(root: Path, outside: Path) -> dict[str, Any]:
    """Four photos' files given paths that lead out of ``root``: by ``..``, by an
    absolute path, by the journal, and through a symlink inside the folder."""
    (a_item, a_file), (_, b_file), (_, c_file), (_, d_file), *_ = _photo_files(root)
    manifest = json.loads((root / "manifest.json").read_text())
    files = manifest["files"]
    victim_b = outside / "victim-b.txt"
    victim_c = outside / "victim-c.txt"
    files[a_file]["path"] = "../outside/victim-a.txt"
    manifest["data_types"]["icpl.photos"]["deleted"][a_item] = "2026-01-01T00:00:00+00:00"
    files[b_file].update(path=str(victim_b), size=files[b_file]["size"] + 1)
    files[d_file].update(path="escape/d.jpg", size=files[d_file]["size"] + 1)
    (root / "escape").symlink_to(outside, target_is_directory=True)
    (root / "manifest.json").write_text(json.dumps(manifest))
    # The journal's entry has the victim's own size: taken at its word it is "intact".
    entry = {**files[c_file], "path": "../outside/victim-c.txt", "size": victim_c.stat().st_size}
    with open(root / ".cloudtap-pull/files.journal", "a") as fh:
        fh.write(json.dumps([c_file, entry]) + "\n")
    return {"a": a_file, "b": b_file, "c": c_file, "d": d_file}


def test_paths_recorded_outside_the_folder_are_refused(
    pull_sandbox: PullSandbox, tmp_path: Path
) -> None:
    root, outside = tmp_path / "copy", tmp_path / "outside"
    _pull(pull_sandbox, tmp_path, root)
    outside.mkdir()
    for name in ("victim-a.txt", "victim-b.txt", "victim-c.txt"):
        (outside / name).write_bytes(VICTIM)
    tampered = _tamper(root, outside)

    stdout, stderr = _pull(pull_sandbox, tmp_path, root, "--apply-deletions")

    # Nothing outside was deleted, overwritten or created.
    assert sorted(p.name for p in outside.iterdir()) == [
        "victim-a.txt",
        "victim-b.txt",
        "victim-c.txt",
    ]
    assert all((outside / n).read_bytes() == VICTIM for n in ("victim-a.txt", "victim-b.txt"))
    assert (outside / "victim-c.txt").read_bytes() == VICTIM
    # The run says what it refused, each path by name.
    for path in ("../outside/victim-a.txt", str(outside / "victim-b.txt"), "escape/d.jpg"):
        assert f"refused {path!r}" in stderr, stderr
    assert "refused '../outside/victim-c.txt'" in stderr, stderr
    assert "refused 4 unsafe paths" in stdout, stdout
    # The copy holds the other photos again, each at a safe path inside the folder.
    manifest = json.loads((root / "manifest.json").read_text())
    for key in ("b", "c", "d"):
        entry = manifest["files"][tampered[key]]
        target = (root / entry["path"]).resolve()
        assert target.is_relative_to(root.resolve()), entry
        assert target.stat().st_size == entry["size"]
    assert tampered["a"] not in manifest["files"]
    refused = manifest["runs"][-1]["refused"]
    assert len(refused) == 4 and {r["path"] for r in refused} >= {"escape/d.jpg"}


def test_private_state_linked_out_of_the_folder_stops_the_run(
    pull_sandbox: PullSandbox, tmp_path: Path
) -> None:
    root, outside = tmp_path / "copy", tmp_path / "outside"
    root.mkdir()
    outside.mkdir()
    (root / ".cloudtap-pull").symlink_to(outside, target_is_directory=True)
    env = {**pull_sandbox.env(tmp_path), "CT_TEST_PASSWORD": PASSWORD}
    done = run_pull(env, PLAIN, "--to", str(root), *ARGS)
    assert done.returncode == 1, done.stdout + done.stderr
    assert "refused '.cloudtap-pull': leads out of the folder through a symlink" in done.stderr
    assert list(outside.iterdir()) == []
