"""The iCloud storage meter: how much of the quota an account's content takes.

Derived from the account's own content so it is plausible and stable; this is the ground
truth the account service's ``storageUsageInfo`` reply is written from.
"""

from __future__ import annotations

from dataclasses import dataclass

from cloudtap.sandbox.accounts.model import SandboxAccount
from cloudtap.sandbox.photos.counts import photo_count
from cloudtap.sandbox.services.content import drive

GB = 1024**3
QUOTA = 50 * GB  # the 50 GB iCloud+ tier
# Average bytes per item, to turn the account's content into a plausible meter.
BYTES_PER_PHOTO = 3_500_000
BYTES_PER_NOTE = 6_000
BYTES_PER_CONTACT = 9_000
MAIL_BYTES = 700_000_000
BACKUP_BYTES = 4 * GB  # when the account has a device to back up


@dataclass(frozen=True)
class MediaUsage:
    key: str  # mediaKey
    label: str  # displayLabel
    colour: str  # displayColor
    used_bytes: int


@dataclass(frozen=True)
class StorageUsage:
    total_bytes: int
    media: tuple[MediaUsage, ...]

    @property
    def used_bytes(self) -> int:
        return sum(m.used_bytes for m in self.media)


def drive_bytes(account: SandboxAccount) -> int:
    """What the account's iCloud Drive holds, Recently Deleted included (Apple counts it
    against the quota until it is purged)."""
    tree = drive.tree(account.content)
    root = tree.node(drive.ROOT_ID)
    live = tree.stats(root)[0] if root is not None else 0
    trashed = 0
    for node in tree.children_of(drive.TRASH_ID):
        trashed += node.size if node.kind == "FILE" else tree.stats(node)[0]
    return live + trashed


def usage(account: SandboxAccount) -> StorageUsage:
    spec = account.content
    photos = photo_count(account) * BYTES_PER_PHOTO
    # Apple's "docs" ("Documents") meter is iCloud Drive and apps' documents.
    docs = drive_bytes(account) + spec.notes * BYTES_PER_NOTE + spec.contacts * BYTES_PER_CONTACT
    return StorageUsage(
        total_bytes=QUOTA,
        media=(
            MediaUsage("photos", "Photos and Videos", "ffcc00", photos),
            MediaUsage("backup", "Backup", "5856d6", BACKUP_BYTES if spec.devices else 0),
            MediaUsage("docs", "Documents", "ff9500", docs),
            MediaUsage("mail", "Mail", "007aff", MAIL_BYTES),
        ),
    )
