"""What every iCloud Drive node of the sandbox is, whichever tree holds it: its fields,
the well-known ids, and its dates and etag as a pure function of (seed, index)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Literal

from cloudtap.sandbox.photos.records import checksum
from cloudtap.sandbox.services.content.rng import item_rng

CLOUD_DOCS = "com.apple.CloudDocs"
ROOT_ID = f"FOLDER::{CLOUD_DOCS}::root"
TRASH_ID = "TRASH_ROOT"  # the trash reply's own drivewsid (pyicloud's DRIVE_TRASH_WORKING)
TRASH_REQUEST_ID = f"FOLDER::{CLOUD_DOCS}::{TRASH_ID}"  # what clients ask for
BIG_FILE_SIZE = 200 * 1024 * 1024
BASE = datetime(2023, 3, 1, 9, 0, tzinfo=UTC)

Kind = Literal["FOLDER", "FILE", "APP_LIBRARY"]


@dataclass(frozen=True)
class DriveNode:
    index: int  # position in the tree (the content host's URL names it)
    drivewsid: str
    docwsid: str
    zone: str
    name: str  # without the extension, as drivews gives it
    extension: str | None
    kind: Kind
    parent: str  # the parent's drivewsid (``TRASH_ROOT`` for a top-level trashed item)
    size: int  # files; 0 for folders
    created: datetime
    modified: datetime
    opened: datetime | None
    etag: str
    package: bool = False  # a bundle (.pages): served as a zip through ``package_token``
    trashed: bool = False
    restore_path: str | None = None  # where a trashed item came from
    # In a folder another Apple ID shares with this account (or that folder itself):
    # drivews names it SHARED_FOLDER / FOLDER_IN_SHARED_FOLDER / FILE_IN_SHARED_FOLDER,
    # and below the shared folder's own children it is reached by ``item_id`` through
    # docws (docs/apple-evidence.md, "iCloud Drive": shared folders).
    item_id: str = ""
    shared_by: str = ""  # the owner's CloudKit user record name; "" for one's own items

    @property
    def full_name(self) -> str:
        return f"{self.name}.{self.extension}" if self.extension else self.name

    @property
    def checksum(self) -> str:
        return checksum("drive", self.drivewsid, self.etag)


def node_facts(
    seed: int, index: int, kind: Kind, revision: int = 0
) -> tuple[datetime, datetime, datetime | None, str]:
    """A node's created, modified and last-opened moments and its etag, from its index;
    a node changed in ``revision`` (> 0) is modified later and has a new etag."""
    rng = item_rng(seed, "drive", index)
    created = BASE + timedelta(days=rng.randrange(0, 700), seconds=rng.randrange(86_400))
    modified = created + timedelta(days=rng.randrange(0, 60), seconds=rng.randrange(86_400))
    opened = modified + timedelta(hours=rng.randrange(1, 500)) if kind == "FILE" else None
    if revision:
        modified += timedelta(days=900 + revision)
        rng = item_rng(seed, f"drive-revision-{revision}", index)
    etag = _base36(rng.randrange(36, 36**3))
    if kind == "FILE":
        etag += "::" + _base36(rng.randrange(36, 36**3))
    return created, modified, opened, etag


def _base36(number: int) -> str:
    digits = "0123456789abcdefghijklmnopqrstuvwxyz"
    out = ""
    while number:
        number, rest = divmod(number, 36)
        out = digits[rest] + out
    return out or "0"
