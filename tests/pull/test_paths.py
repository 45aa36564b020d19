"""``inside``: the one check every path of a pull passes before use."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from cloudtap.pull.paths import OutsideCopy, append_private, inside, write_new


@pytest.mark.parametrize(
    "relative",
    ["../outside/victim.txt", "/etc/passwd", "a/../../b", "a\\..\\b", "C:/x", "", "a\0b", None, 7],
)
def test_paths_that_leave_the_folder_or_are_no_path_are_refused(
    tmp_path: Path, relative: object
) -> None:
    with pytest.raises(OutsideCopy):
        inside(tmp_path / "copy", relative)


def test_a_symlink_out_of_the_folder_is_refused_one_inside_is_not(tmp_path: Path) -> None:
    root, outside = tmp_path / "copy", tmp_path / "outside"
    (root / "photos").mkdir(parents=True)
    outside.mkdir()
    (root / "out").symlink_to(outside)
    (root / "file-out").symlink_to(outside / "victim.txt")
    (root / "in").symlink_to(root / "photos")
    for relative in ("out/x.jpg", "file-out"):
        with pytest.raises(OutsideCopy, match="symlink"):
            inside(root, relative)
    assert inside(root, "in/x.jpg") == (root / "photos/x.jpg").resolve()
    assert inside(root, "photos/./x.jpg") == (root / "photos/x.jpg").resolve()


def test_writes_replace_a_planted_symlink_instead_of_following_it(tmp_path: Path) -> None:
    victim = tmp_path / "victim.txt"
    victim.write_text("precious")
    root = tmp_path / "copy"
    root.mkdir()
    (root / ".x.json.tmp").symlink_to(victim)  # where the temporary file goes
    write_new(root / "x.json", b"{}")
    assert victim.read_text() == "precious" and (root / "x.json").read_bytes() == b"{}"
    (root / "log").symlink_to(victim)
    with pytest.raises(OSError):
        append_private(root / "log", "line\n")
    assert victim.read_text() == "precious"
    append_private(root / "state/journal", "line\n")
    assert (root / "state/journal").stat().st_mode & 0o777 == 0o600
    assert os.stat(root / "state").st_mode & 0o777 == 0o700
