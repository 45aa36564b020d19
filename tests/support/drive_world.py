"""The sandbox world's iCloud Drive as cloudtap should publish it: the ground truth of
the Drive tests (client, API, pull)."""

from __future__ import annotations

from typing import Any

from cloudtap.icloud.datatypes.common import iso
from cloudtap.sandbox.runtime import RunningSandbox
from cloudtap.sandbox.services.content import drive as world_drive

DOMAIN = "sandbox.cloudtap.dev"

KINDS = {"FILE": "file", "FOLDER": "folder", "APP_LIBRARY": "app_library"}


def world_tree(sandbox: RunningSandbox, name: str) -> world_drive.DriveTree:
    account = sandbox.world.account(f"{name}@{DOMAIN}")
    assert account is not None
    return world_drive.small_tree(account.content)


def expected_item(tree: world_drive.DriveTree, node: world_drive.DriveNode) -> dict[str, Any]:
    """What the world says an item is, field by field."""
    # A folder shared by another Apple ID counts for its owner, not in the folders above.
    below = [
        n
        for n in tree.nodes
        if n.kind == "FILE" and _under(tree, n, node) and (node.shared_by or not n.shared_by)
    ]
    is_file = node.kind == "FILE"
    return {
        "id": node.drivewsid,
        "data_type": "icloud_drive.item",
        "parent": None if node.drivewsid == world_drive.ROOT_ID else node.parent,
        "path": tree.path_of(node),
        "name": node.full_name,
        "extension": node.extension,
        "size": node.size
        if is_file
        else (None if node.kind == "APP_LIBRARY" else sum(n.size for n in below)),
        "date_created": None if node.drivewsid == world_drive.ROOT_ID else iso(node.created),
        "date_modified": iso(node.modified) if is_file else None,
        "date_changed": iso(node.modified) if is_file else None,
        "date_last_opened": iso(node.opened) if node.opened else None,
        "etag": node.etag,
        "kind": KINDS[node.kind],
        "trashed": node.trashed,
        "restore_path": node.restore_path,
        "shared": bool(node.shared_by),
    }


def _under(tree: world_drive.DriveTree, node: world_drive.DriveNode, folder: Any) -> bool:
    parent = tree.by_id.get(node.parent)
    while parent is not None:
        if parent.drivewsid == folder.drivewsid:
            return True
        parent = tree.by_id.get(parent.parent)
    return False
