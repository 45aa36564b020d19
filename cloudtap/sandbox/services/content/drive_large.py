"""``drive-100k@``'s iCloud Drive: 100,000 files in 5,000 folders, generated on demand.

Nothing is held per node: node ``i`` is a pure function of (seed, i) and its id carries
``i`` (the UUID's last 12 hex digits), so a listing asks for one folder's children and
gets 20 to 100 nodes made there and then. Layout: the root holds 50 folders, each of
those 99 more (5,000 folders), every folder 20 files (100,000 files).
"""

from __future__ import annotations

import hashlib
import re
from functools import lru_cache

from cloudtap.sandbox.services.content.drive_nodes import (
    CLOUD_DOCS,
    ROOT_ID,
    DriveNode,
    Kind,
    node_facts,
)

TOP_FOLDERS, SUBFOLDERS, FILES_PER_FOLDER = 50, 99, 20
FOLDERS = TOP_FOLDERS * (1 + SUBFOLDERS)  # 5,000
FILES = FOLDERS * FILES_PER_FOLDER  # 100,000
_FIRST_SUB = 1 + TOP_FOLDERS
_FIRST_FILE = 1 + FOLDERS
_ID = re.compile(
    r"^(FOLDER|FILE)::com\.apple\.CloudDocs::([0-9A-F]{8})-0000-4000-8000-([0-9A-F]{12})$"
)


class LargeDriveTree:
    """The same questions as ``DriveTree`` answers, answered by arithmetic."""

    def __init__(self, seed: int) -> None:
        self.seed = seed
        self.count = 1 + FOLDERS + FILES

    def _uuid(self, index: int) -> str:
        return f"{self.seed % 2**32:08X}-0000-4000-8000-{index:012X}"

    def _kind(self, index: int) -> Kind:
        return "FILE" if index >= _FIRST_FILE else "FOLDER"

    def _parent(self, index: int) -> int:
        if index >= _FIRST_FILE:
            return 1 + (index - _FIRST_FILE) // FILES_PER_FOLDER
        if index >= _FIRST_SUB:
            return 1 + (index - _FIRST_SUB) // SUBFOLDERS
        return 0

    def _id(self, index: int) -> str:
        if index == 0:
            return ROOT_ID
        return f"{self._kind(index)}::{CLOUD_DOCS}::{self._uuid(index)}"

    def index_of(self, drivewsid: str) -> int | None:
        if drivewsid == ROOT_ID:
            return 0
        match = _ID.match(drivewsid)
        if match is None or int(match.group(2), 16) != self.seed % 2**32:
            return None
        index = int(match.group(3), 16)
        if not 0 < index < self.count or self._kind(index) != match.group(1):
            return None
        return index

    def at(self, index: int) -> DriveNode | None:
        if not 0 <= index < self.count:
            return None
        return _node(self.seed, index)

    def node(self, drivewsid: str) -> DriveNode | None:
        index = self.index_of(drivewsid)
        return None if index is None else self.at(index)

    def children_of(self, drivewsid: str) -> list[DriveNode]:
        index = self.index_of(drivewsid)
        if index is None or index >= _FIRST_FILE:
            return []
        if index == 0:
            return [_node(self.seed, i) for i in range(1, 1 + TOP_FOLDERS)]
        subs = (
            range(_FIRST_SUB + (index - 1) * SUBFOLDERS, _FIRST_SUB + index * SUBFOLDERS)
            if index < _FIRST_SUB
            else range(0)
        )
        first_file = _FIRST_FILE + (index - 1) * FILES_PER_FOLDER
        files = range(first_file, first_file + FILES_PER_FOLDER)
        return [_node(self.seed, i) for i in (*subs, *files)]

    def document(self, zone: str, docwsid: str) -> DriveNode | None:
        node = self.node(f"FILE::{zone}::{docwsid}")
        return node if node is not None and node.zone == zone else None

    def stats(self, folder: DriveNode) -> tuple[int, int]:
        return _stats(self.seed, folder.index)

    def path_of(self, node: DriveNode) -> str:
        parts = [node.full_name]
        index = self._parent(node.index)
        while index:
            parts.append(_node(self.seed, index).full_name)
            index = self._parent(index)
        return "/".join(reversed(parts))


@lru_cache(maxsize=8)
def large_tree(seed: int) -> LargeDriveTree:
    return LargeDriveTree(seed)


def _file_size(seed: int, index: int) -> int:
    # A hash, not a seeded Random: the root's total draws all 100,000 sizes.
    digest = hashlib.blake2b(f"drive-size:{seed}:{index}".encode(), digest_size=4).digest()
    return 1_000 + int.from_bytes(digest, "big") % 50_000


@lru_cache(maxsize=8192)
def _stats(seed: int, index: int) -> tuple[int, int]:
    """(bytes, files) below folder ``index`` (the root: everything), by index arithmetic:
    only the files' sizes are drawn, no node is made."""
    if index == 0:
        folders = range(1, 1 + TOP_FOLDERS)
    elif index < _FIRST_SUB:
        folders = range(_FIRST_SUB + (index - 1) * SUBFOLDERS, _FIRST_SUB + index * SUBFOLDERS)
    else:
        folders = range(0)
    first_file = _FIRST_FILE + (index - 1) * FILES_PER_FOLDER
    own = range(first_file, first_file + FILES_PER_FOLDER) if index else range(0)
    size, count = sum(_file_size(seed, i) for i in own), len(own)
    for folder in folders:
        below = _stats(seed, folder)
        size, count = size + below[0], count + below[1]
    return size, count


def _node(seed: int, index: int) -> DriveNode:
    tree = large_tree(seed)
    kind = tree._kind(index)
    created, modified, opened, etag = node_facts(seed, index, kind)
    uid = "root" if index == 0 else tree._uuid(index)
    if index == 0:
        name, extension, size = "", None, 0
    elif index >= _FIRST_FILE:
        name, extension, size = f"file-{index - _FIRST_FILE:06d}", "txt", _file_size(seed, index)
    elif index >= _FIRST_SUB:
        name, extension, size = f"Sub {(index - _FIRST_SUB) % SUBFOLDERS:02d}", None, 0
    else:
        name, extension, size = f"Folder {index - 1:02d}", None, 0
    return DriveNode(
        index=index,
        drivewsid=tree._id(index),
        docwsid=uid,
        zone=CLOUD_DOCS,
        name=name,
        extension=extension,
        kind=kind,
        parent="" if index == 0 else tree._id(tree._parent(index)),
        size=size,
        created=created,
        modified=modified,
        opened=opened,
        etag=etag,
    )
