"""An account's iCloud Drive: a deterministic tree of folders, app libraries and files.

Every account has the ``basic`` tree (a folder, two files, the Pages and Numbers app
libraries, a file in Recently Deleted); ``rich`` adds nested folders, a zero-byte file,
unicode and very long names, packages (``.pages``, ``.numbers``), a 200 MB film and a
trashed folder. The tree is small (dozens of nodes) and cached per (seed, plan); file
bytes are never held: a file is pieces (``media.raw_bytes`` repeats one 64 KiB block), a
package is a small zip built on demand. Names, sizes, dates and etags are what
drivews publishes (docs/apple-evidence.md, "iCloud Drive").
"""

from __future__ import annotations

import base64
import hashlib
import io
import zipfile
from dataclasses import dataclass, field
from functools import lru_cache

from cloudtap.sandbox.accounts.model import ContentSpec
from cloudtap.sandbox.photos import media
from cloudtap.sandbox.services.content.drive_large import LargeDriveTree, large_tree
from cloudtap.sandbox.services.content.drive_nodes import (
    BIG_FILE_SIZE,
    CLOUD_DOCS,
    ROOT_ID,
    TRASH_ID,
    TRASH_REQUEST_ID,
    DriveNode,
    Kind,
    node_facts,
)
from cloudtap.sandbox.services.content.rng import item_uuid


@dataclass
class DriveTree:
    nodes: list[DriveNode] = field(default_factory=list)
    by_id: dict[str, DriveNode] = field(default_factory=dict)
    by_index: dict[int, DriveNode] = field(default_factory=dict)
    children: dict[str, list[DriveNode]] = field(default_factory=dict)

    def add(self, node: DriveNode) -> None:
        self.nodes.append(node)
        self.by_id[node.drivewsid] = node
        self.by_index[node.index] = node
        self.children.setdefault(node.parent, []).append(node)
        if node.kind != "FILE":
            self.children.setdefault(node.drivewsid, [])

    def document(self, zone: str, docwsid: str) -> DriveNode | None:
        return next(
            (n for n in self.nodes if n.kind == "FILE" and n.zone == zone and n.docwsid == docwsid),
            None,
        )

    def node(self, drivewsid: str) -> DriveNode | None:
        return self.by_id.get(drivewsid)

    def at(self, index: int) -> DriveNode | None:
        return self.by_index.get(index)

    def children_of(self, drivewsid: str) -> list[DriveNode]:
        return list(self.children.get(drivewsid, []))

    def stats(self, folder: DriveNode) -> tuple[int, int]:
        """(bytes, files) below ``folder``; a folder shared by another Apple ID counts
        for its owner, not in the folders above it (assumed)."""
        size = count = 0
        waiting = [folder.drivewsid]
        while waiting:
            for child in self.children.get(waiting.pop(), []):
                if child.shared_by and not folder.shared_by:
                    continue
                if child.kind == "FILE":
                    size, count = size + child.size, count + 1
                else:
                    waiting.append(child.drivewsid)
        return size, count

    def path_of(self, node: DriveNode) -> str:
        """``Documents/Report.pdf``; app libraries by their name, trash items bare."""
        parts = [node.full_name]
        parent = self.by_id.get(node.parent)
        while parent is not None:
            parts.append(parent.full_name)
            parent = self.by_id.get(parent.parent)
        return "/".join(reversed([p for p in parts if p]))


# (zone, display name) of the app libraries every tree shows at its root.
APP_LIBRARIES = (("com.apple.Pages", "Pages"), ("com.apple.Numbers", "Numbers"))
_LONG_NAME = "A very long file name that keeps going " * 6  # 234 characters


@dataclass(frozen=True)
class How:
    """How a node differs from a plain one."""

    revised: bool = False  # changed in the world's revision: later, with a new etag
    trashed: bool = False  # in Recently Deleted (itself, or inside a trashed folder)
    restore_path: str | None = None  # a top-level trashed item: where it came from
    package: bool = False  # a bundle, served as a zip
    gone: bool = False  # deleted for good in the world's revision: made, not added
    shared_by: str = ""  # a folder another Apple ID (this owner) shares with the account


PLAIN = How()


class _Builder:
    def __init__(self, seed: int, revision: int) -> None:
        self.seed = seed
        self.revision = revision
        self.tree = DriveTree()
        self.made = 0  # nodes made, added or not: a node's index never moves
        root = self._node(ROOT_ID, "root", CLOUD_DOCS, "", None, "FOLDER", "", 0)
        self.tree.add(root)

    def _node(
        self,
        drivewsid: str,
        docwsid: str,
        zone: str,
        name: str,
        extension: str | None,
        kind: Kind,
        parent: str,
        size: int,
        how: How = PLAIN,
        shared_by: str = "",
    ) -> DriveNode:
        index = self.made
        self.made += 1
        created, modified, opened, etag = node_facts(
            self.seed, index, kind, self.revision if how.revised else 0
        )
        return DriveNode(
            index=index,
            drivewsid=drivewsid,
            docwsid=docwsid,
            zone=zone,
            name=name,
            extension=extension,
            kind=kind,
            parent=parent,
            size=size,
            created=created,
            modified=modified,
            opened=opened,
            etag=etag,
            package=how.package,
            trashed=how.trashed,
            restore_path=how.restore_path,
            item_id=_item_id(self.seed, index) if shared_by else "",
            shared_by=shared_by,
        )

    def _kind_in(self, parent: DriveNode, kind: str, how: How) -> tuple[str, str]:
        """(drivewsid prefix, owner): a shared folder and what lies in it are named so
        (rclone's iclouddrive backend; docs/apple-evidence.md, "iCloud Drive")."""
        if how.shared_by:
            return "SHARED_FOLDER", how.shared_by
        if parent.shared_by:
            return f"{kind}_IN_SHARED_FOLDER", parent.shared_by
        return kind, ""

    def folder(self, parent: DriveNode, name: str, how: How = PLAIN) -> DriveNode:
        uid = item_uuid(self.seed, "drive", self.made)
        # A top-level item of Recently Deleted remembers where it was; its parent is the trash.
        parent_id = TRASH_ID if how.restore_path else None
        prefix, owner = self._kind_in(parent, "FOLDER", how)
        node = self._node(
            f"{prefix}::{parent.zone}::{uid}",
            uid,
            parent.zone,
            name,
            None,
            "FOLDER",
            parent_id or parent.drivewsid,
            0,
            how,
            owner,
        )
        self.tree.add(node)
        return node

    def app_library(self, zone: str, name: str) -> DriveNode:
        node = self._node(
            f"FOLDER::{zone}::documents", "documents", zone, name, None, "APP_LIBRARY", ROOT_ID, 0
        )
        self.tree.add(node)
        return node

    def file(
        self,
        parent: DriveNode,
        name: str,
        extension: str | None,
        size: int,
        how: How = PLAIN,
    ) -> DriveNode:
        uid = item_uuid(self.seed, "drive", self.made)
        parent_id = TRASH_ID if how.restore_path else None
        prefix, owner = self._kind_in(parent, "FILE", how)
        node = self._node(
            f"{prefix}::{parent.zone}::{uid}",
            uid,
            parent.zone,
            name,
            extension,
            "FILE",
            parent_id or parent.drivewsid,
            size,
            how,
            owner,
        )
        if not how.gone:  # deleted for good in this revision: made (its index kept), not added
            self.tree.add(node)
        return node

    def package(self, parent: DriveNode, name: str, extension: str) -> DriveNode:
        size = len(_package_zip(name, extension, self.seed))
        return self.file(parent, name, extension, size, How(package=True))


# The CloudKit user record name of whoever shares rich@'s shared folder (a sandbox person).
SHARE_OWNER = "_5e1f0c2a9b7d4e3f8a6c1b0d2e4f6a8c"


def _item_id(seed: int, index: int) -> str:
    """An ``item_id`` shaped like OpenDAL's captured ones (``CJWdk48eEAAiEB4B…``)."""
    digest = hashlib.blake2b(f"drive-item:{seed}:{index}".encode(), digest_size=27).digest()
    return "CJ" + base64.urlsafe_b64encode(digest).decode("ascii").rstrip("=")


@lru_cache(maxsize=64)
def _tree(seed: int, plan: str, revision: int) -> DriveTree:
    """The tree; ``revision`` 1 is the same account a while later (a file edited, one
    deleted for good, one moved to Recently Deleted), for incremental listings."""
    b = _Builder(seed, revision)
    later = revision >= 1
    root = b.tree.by_id[ROOT_ID]
    pages, numbers = (b.app_library(zone, name) for zone, name in APP_LIBRARIES)
    documents = b.folder(root, "Documents")
    b.file(documents, "Report", "pdf", 48_213, How(gone=later))
    b.file(documents, "Notes", "txt", 2_001 if later else 1_377, How(revised=later))
    b.package(pages, "Letter", "pages")
    b.file(root, "old draft", "txt", 512, How(trashed=True, restore_path="old draft.txt"))
    if plan == "rich":
        projects = b.folder(root, "Projects")
        year = b.folder(projects, "2026")
        quarter = b.folder(year, "Q1")
        deep = b.folder(quarter, "Deep")
        trashed = How(revised=True, trashed=True, restore_path="Projects/plan.md")
        b.file(projects, "plan", "md", 2_048, trashed if later else PLAIN)
        b.file(quarter, "figures", "csv", 9_001)
        b.file(deep, "bottom", "json", 333)
        b.folder(projects, "Empty folder")
        b.file(root, "Empty", "txt", 0)
        unicode = b.folder(root, "Ünïcødé 文件夹 📁")
        b.file(unicode, "résumé \u2013 履歴書", "txt", 4_321)
        b.file(root, _LONG_NAME.strip(), "txt", 777)
        movies = b.folder(root, "Movies")
        b.file(movies, "Holiday", "mov", BIG_FILE_SIZE)
        b.package(pages, "Essay", "pages")
        b.package(numbers, "Budget", "numbers")
        b.file(numbers, "export", "csv", 1_024)
        gone = b.folder(root, "Old stuff", How(trashed=True, restore_path="Old stuff"))
        b.file(gone, "left behind", "jpg", 65_536, How(trashed=True))
        # A folder another Apple ID shares with rich@, a file in it and a folder deeper.
        trip = b.folder(root, "Trip with Sam", How(shared_by=SHARE_OWNER))
        b.file(trip, "itinerary", "pdf", 12_345)
        day = b.folder(trip, "Day 1")
        b.file(day, "beach", "jpg", 81_920)
    return b.tree


def tree(spec: ContentSpec) -> DriveTree | LargeDriveTree:
    if spec.drive == "100k":
        return large_tree(spec.seed)
    return _tree(spec.seed, spec.drive, spec.drive_revision)


def small_tree(spec: ContentSpec) -> DriveTree:
    """The tree of a ``basic`` or ``rich`` Drive, every node in hand (tests read it whole)."""
    if spec.drive == "100k":
        raise ValueError("a 100k Drive is generated on demand, never whole")
    return _tree(spec.seed, spec.drive, spec.drive_revision)


def node_at(spec: ContentSpec, index: int) -> DriveNode | None:
    return tree(spec).at(index)


@lru_cache(maxsize=16)
def _package_zip(name: str, extension: str, seed: int) -> bytes:
    """A bundle as icloud.com hands it out: the package's files in one zip (assumed)."""
    out = io.BytesIO()
    key = hashlib.blake2b(f"drive-package:{seed}:{name}.{extension}".encode()).digest()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) as bundle:
        for entry, size in (("Index.zip", 6_000), ("Metadata/Properties.plist", 400)):
            info = zipfile.ZipInfo(f"{name}.{extension}/{entry}", date_time=(2024, 1, 1, 0, 0, 0))
            bundle.writestr(info, media.join(media.raw_bytes(key + entry.encode(), size)))
    return out.getvalue()


def pieces(spec: ContentSpec, node: DriveNode) -> media.Pieces:
    """A file's bytes as pieces: streamed by the content host, never joined there."""
    if node.package:
        return [_package_zip(node.name, node.extension or "", spec.seed)]
    key = hashlib.blake2b(f"drive-file:{spec.seed}:{node.drivewsid}".encode()).digest()
    return media.raw_bytes(key, node.size) if node.size else []


__all__ = [
    "BIG_FILE_SIZE",
    "CLOUD_DOCS",
    "ROOT_ID",
    "SHARE_OWNER",
    "TRASH_ID",
    "TRASH_REQUEST_ID",
    "DriveNode",
    "DriveTree",
    "LargeDriveTree",
    "node_at",
    "pieces",
    "small_tree",
    "tree",
]
