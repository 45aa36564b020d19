"""The Drive exporter's paths: the server's names cleaned, fitted to 255 bytes, never out."""

from __future__ import annotations

from pathlib import Path

from cloudtap.pull.exporters import drive


def _file(path: str, trashed: bool = False) -> dict[str, object]:
    return {
        "id": "FILE::com.apple.CloudDocs::X",
        "kind": "file",
        "path": path,
        "trashed": trashed,
        "date_modified": "2024-01-02T03:04:05.000000Z",
        "files": [{"id": "icloud_drive://abc"}],
    }


def test_paths_keep_the_tree_and_trash_apart() -> None:
    [want] = drive.wanted(_file("Documents/Report.pdf"))
    assert (want.path, want.mtime) == ("drive/Documents/Report.pdf", 1704164645.0)
    assert drive.wanted(_file("plan.md", trashed=True))[0].path == "drive-recently-deleted/plan.md"
    assert drive.wanted({"kind": "folder", "path": "Documents"}) == []


def test_hostile_and_long_names_become_plain_names() -> None:
    climbing = drive.relative_path(_file("../../etc/passwd")).split("/")
    assert climbing[0] == "drive" and ".." not in climbing and climbing[-2:] == ["etc", "passwd"]
    assert drive.relative_path(_file("a\\b/c:d")) == "drive/a_b/c_d"
    long = "文" * 200 + ".txt"  # 604 bytes in UTF-8
    fitted = drive.relative_path(_file(long)).split("/")[-1]
    assert len(fitted.encode()) <= 255 and fitted.endswith(".txt")


def test_export_makes_empty_folders_and_refuses_escapes(tmp_path: Path) -> None:
    items = {
        "a": {"id": "a", "kind": "folder", "path": "Projects/Empty folder"},
        "b": {"id": "b", "kind": "app_library", "path": "Pages"},
        "root": {"id": "root", "kind": "folder", "path": ""},
    }
    assert drive.export(tmp_path, items, {}) == []
    assert (tmp_path / "drive/Projects/Empty folder").is_dir()
    assert (tmp_path / "drive/Pages").is_dir()
    (tmp_path / "drive/Pages").rmdir()
    (tmp_path / "drive/Pages").symlink_to(tmp_path.parent)
    refused = drive.export(tmp_path, {"c": {"id": "c", "kind": "folder", "path": "Pages/x"}}, {})
    assert len(refused) == 1
