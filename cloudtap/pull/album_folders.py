"""``--layout albums``: photo albums mirrored as folders, ``albums/<Folder>/<Album>/<name>``,
each entry a link to the photo's file in the date tree (a hard link where the file
system allows one, else a relative symlink), so no photo's bytes are stored twice.

The mirror is rebuilt from the album listing on every run: an album renamed or removed
on Apple's side moves or loses its folder, and no photo is fetched again (its file is
already in the date tree). Only links this layout made (recorded in the manifest's
``album_links``) are ever removed, and only under ``albums/``. Album and folder names are
server data: each becomes one cleaned name (``safe_name``), and every path is checked to
stay inside the copy (``paths.inside``) before anything is made or removed there.
"""

from __future__ import annotations

import errno
import hashlib
import os
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from cloudtap.pull.exporters import Item, safe_name
from cloudtap.pull.exporters import photos as photos_export
from cloudtap.pull.paths import OutsideCopy, inside

ALBUMS_DIR = "albums"
LINKED_KINDS = ("original", "live")  # the date tree's own files (photos/…)
MIRRORED_KINDS = ("user",)  # smart albums would copy the library's tree again
# Hard links fail across devices, on file systems without them, and where they are not
# permitted: then a symlink.
NO_HARD_LINK = {errno.EXDEV, errno.EPERM, errno.EMLINK, errno.ENOTSUP, errno.EOPNOTSUPP}


def _tag(album_id: str) -> str:
    """A short, stable suffix telling apart two siblings of one name (ids share prefixes)."""
    return hashlib.sha256(album_id.encode()).hexdigest()[:7]


def album_folders(albums: list[Item], wanted: set[str] | None = None) -> dict[str, str]:
    """album id → its folder (``albums/<Folder>/…/<Album>``) for the albums to mirror:
    user albums, or the ids in ``wanted``. Folders nest by ``parent``; an unknown parent
    or a cycle puts the album at the top. Siblings of one name get ``-<tag>``."""
    by_id = {str(a.get("id")): a for a in albums if a.get("id")}
    paths: dict[str, str] = {}
    taken: dict[str, str] = {}  # path → the album id holding it

    def path_of(album_id: str, seen: frozenset[str]) -> str:
        if album_id in paths:
            return paths[album_id]
        album = by_id[album_id]
        parent = str(album.get("parent") or "")
        above = ALBUMS_DIR
        if parent in by_id and parent not in seen:
            above = path_of(parent, seen | {album_id})
        name = safe_name(album.get("name"), album_id)
        path = f"{above}/{name}"
        if taken.get(path, album_id) != album_id:
            path = f"{above}/{name}-{_tag(album_id)}"
        taken[path] = album_id
        paths[album_id] = path
        return path

    chosen = [
        i
        for i, a in by_id.items()
        if (i in wanted if wanted is not None else a.get("kind") in MIRRORED_KINDS)
        and a.get("kind") not in ("folder", "shared_library")
    ]
    for album_id in by_id:  # in listing order (parents first), so names settle stably
        if by_id[album_id].get("kind") in ("folder", *MIRRORED_KINDS) or album_id in chosen:
            path_of(album_id, frozenset({album_id}))
    return {i: paths[i] for i in chosen}


def album_links(
    folders: dict[str, str],
    members: dict[str, list[Item]],
    files: dict[str, dict[str, object]],
) -> dict[str, str]:
    """link path → the date tree path it points at, for every album's assets whose files
    the copy holds (``files``: the manifest's). Two files of one name in one album get
    ``-<tag>``."""
    links: dict[str, str] = {}
    for album_id, folder in folders.items():
        names: set[str] = set()
        for item in members.get(album_id, []):
            for want in photos_export.wanted(item):
                entry = files.get(want.file_id)
                if want.kind not in LINKED_KINDS or not entry:
                    continue
                target = str(entry.get("path"))
                name = PurePosixPath(target).name
                if name in names:
                    p = PurePosixPath(name)
                    name = f"{p.stem}-{_tag(want.file_id)}{p.suffix}"
                names.add(name)
                links[f"{folder}/{name}"] = target
    return links


@dataclass
class Mirrored:
    made: int = 0
    removed: int = 0
    kept: dict[str, str] = field(default_factory=dict)  # the links now in place
    refused: list[OutsideCopy] = field(default_factory=list)


def _same_file(link: Path, target: Path) -> bool:
    try:
        return os.path.samefile(link, target)
    except OSError:
        return False


def _make_link(target: Path, link: Path) -> None:
    try:
        os.link(target, link)  # target is resolved: never a symlink
    except OSError as exc:
        if exc.errno not in NO_HARD_LINK:
            raise
        os.symlink(os.path.relpath(target, link.parent), link)


def _unlink_ours(root: Path, relative: str) -> Path:
    """The link at ``relative`` (not what it points at), once its folder is inside."""
    if not relative.startswith(f"{ALBUMS_DIR}/"):
        raise OutsideCopy(relative, "not under albums/")
    parent = inside(root, str(PurePosixPath(relative).parent))
    return parent / PurePosixPath(relative).name


def mirror(
    root: Path, folders: dict[str, str], links: dict[str, str], previous: dict[str, str]
) -> Mirrored:
    """Make ``links`` (and every album's folder, empty albums too), remove the links of
    ``previous`` no longer wanted, and the folders they leave empty."""
    done = Mirrored()
    for relative in previous:
        if relative in links:
            continue
        try:
            _unlink_ours(root, relative).unlink(missing_ok=True)
            done.removed += 1
        except OutsideCopy as exc:
            done.refused.append(exc)
    for folder in folders.values():
        try:
            inside(root, folder).mkdir(parents=True, exist_ok=True)
        except OutsideCopy as exc:
            done.refused.append(exc)
    for relative, target_relative in links.items():
        try:
            target = inside(root, target_relative)
            link = _unlink_ours(root, relative)
        except OutsideCopy as exc:
            done.refused.append(exc)
            continue
        if not target.is_file():
            if relative in previous:  # its file left the copy: so does our link to it
                link.unlink(missing_ok=True)
                done.removed += 1
            continue  # not in the copy (yet): linked once it is
        if _same_file(link, target) and (link.is_symlink() or link.stat().st_nlink > 1):
            done.kept[relative] = target_relative
            continue
        link.unlink(missing_ok=True)  # a stale link (its file fetched anew) or a stranger
        link.parent.mkdir(parents=True, exist_ok=True)
        _make_link(target, link)
        done.made += 1
        done.kept[relative] = target_relative
    _prune(root, set(folders.values()))
    return done


def _prune(root: Path, keep: set[str]) -> None:
    """Remove the empty folders under ``albums/`` that no mirrored album holds."""
    try:
        top = inside(root, ALBUMS_DIR)
    except OutsideCopy:
        return
    if not top.is_dir():
        return
    for here, _dirs, _files in os.walk(top, topdown=False):
        path = Path(here)
        relative = path.relative_to(root.resolve()).as_posix()
        if path == top or any(k == relative or k.startswith(f"{relative}/") for k in keep):
            continue
        if not any(path.iterdir()):
            path.rmdir()
