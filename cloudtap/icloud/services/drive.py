"""iCloud Drive: ``drivews`` lists folders, ``docws`` hands out download tokens.

- ``POST {drivews}/retrieveItemDetailsInFolders`` with ``[{"drivewsid", "partialData":
  false}, ...]`` answers one entry per folder, in order: the folder and its direct
  children in ``items``. The root is ``FOLDER::com.apple.CloudDocs::root``, Recently
  Deleted ``FOLDER::com.apple.CloudDocs::TRASH_ROOT`` (its reply says ``TRASH_ROOT``).
- ``GET {docws}/ws/<zone>/download/by_id?document_id=<docwsid>`` answers a
  ``data_token`` (or, for a bundle, a ``package_token``) whose ``url`` has the bytes.

Shapes: pyicloud's ``tests/const/const_drive.py`` (docs/apple-evidence.md, "iCloud Drive").
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import httpx
import ijson

from cloudtap.icloud import errors
from cloudtap.icloud.client.apple import AppleClient
from cloudtap.icloud.replies import json_body, raise_for_common

CLOUD_DOCS = "com.apple.CloudDocs"
ROOT_ID = f"FOLDER::{CLOUD_DOCS}::root"
TRASH_ID = f"FOLDER::{CLOUD_DOCS}::TRASH_ROOT"
TRASH_PARENT = "TRASH_ROOT"  # the trash's items name it as their parent
# Folders per request. The body is a list: idrive-cli sends a whole level of a tree in
# one request, rclone several ids; no bound is published, so these are assumed
# (docs/apple-evidence.md, "iCloud Drive"): at most this many folders, and about this
# many children (their ``directChildrenCount``) so that one reply stays a few MB. A
# batch drivews refuses with a 400 or 413 is split in halves (``folders``).
FOLDERS_PER_REQUEST = 1_000
ITEMS_PER_REQUEST = 20_000
UNKNOWN_CHILDREN = 100  # a folder without directChildrenCount (an app library) counts so
_TOO_MANY = (400, 413)


@dataclass(frozen=True)
class DownloadToken:
    url: str
    package: bool  # a bundle (.pages): the URL serves the package as one archive
    content_etag: str  # ``double_etag``'s first part: the version the URL serves ("" if none)


# Drive with Advanced Data Protection and no PCS cookie for it: "Missing PCS cookies" 423
# (icloud-docker #125, #262; docs/apple-evidence.md, "iCloud Drive").
MISSING_PCS = 423


def _raise_for_drive(response: httpx.Response) -> None:
    raise_for_common(response)
    if response.status_code == MISSING_PCS:
        raise errors.AdpEnabled(
            "iCloud Drive needs web access to this Advanced Data Protection account "
            "('Access iCloud Data on the Web' on, and the owner's consent)"
        )


def _root(client: AppleClient, key: str) -> str:
    root = client.session.service_url(key)
    if not root:
        raise errors.ServiceDisabled("iCloud Drive is not available for this account")
    return root.rstrip("/")


def folder_batches(children: Sequence[int | None]) -> list[range]:
    """Cut a level of folders (each with its expected number of children, None if not
    given) into requests: consecutive runs of at most ``FOLDERS_PER_REQUEST`` folders and
    about ``ITEMS_PER_REQUEST`` children; a folder bigger than that goes alone."""
    batches: list[range] = []
    start, load = 0, 0
    for index, count in enumerate(children):
        weight = count if isinstance(count, int) and count >= 0 else UNKNOWN_CHILDREN
        full = index - start >= FOLDERS_PER_REQUEST or load + weight > ITEMS_PER_REQUEST
        if index > start and full:
            batches.append(range(start, index))
            start, load = index, 0
        load += weight
    if start < len(children):
        batches.append(range(start, len(children)))
    return batches


@dataclass(frozen=True)
class FolderAsk:
    """One folder to list: its drivewsid, and the ``shareID`` of the share it lies in
    (a folder in a folder another Apple ID shares is listed only with it: pyicloud
    2026.10.1's ``get_node_data``; rclone reports a 400 without)."""

    drivewsid: str
    share: dict[str, Any] | None = None

    def entry(self) -> dict[str, Any]:
        entry: dict[str, Any] = {"drivewsid": self.drivewsid, "partialData": False}
        if self.share is not None:
            entry["shareID"] = self.share
        return entry


async def folders(client: AppleClient, asks: list[FolderAsk]) -> Iterator[dict[str, Any]]:
    """The folders ``ids`` with their children, in order, read from the reply one folder
    at a time (a reply of 1,000 folders is megabytes: parsed whole, it was the listing's
    peak memory); an id Apple does not know comes back as ``{"drivewsid", "status":
    "ID_INVALID"}`` (callers decide). A reply that is not one folder per id raises
    ``AppleUnavailable`` once read that far, never ends short."""
    if not asks:
        return iter(())
    if len(asks) > FOLDERS_PER_REQUEST:
        raise ValueError(f"at most {FOLDERS_PER_REQUEST} folders per request")
    response = await client.service(
        "POST",
        f"{_root(client, 'drivews')}/retrieveItemDetailsInFolders",
        json=[ask.entry() for ask in asks],
    )
    if response.status_code == 200 and response.content.lstrip()[:1] == b"[":
        return each_folder(response.content, len(asks))  # drivews' list: no envelope
    _raise_for_drive(response)
    if response.status_code in _TOO_MANY and len(asks) > 1:
        # Too many folders at once for this host (assumed): each half on its own; the
        # halves shrink, so this ends after at most log2(len(asks)) levels.
        half = len(asks) // 2
        first = await folders(client, asks[:half])
        return itertools.chain(first, await folders(client, asks[half:]))
    if response.status_code >= 400:
        raise errors.AppleUnavailable(f"iCloud Drive answered HTTP {response.status_code}")
    kind = type(json_body(response)).__name__
    raise errors.AppleUnavailable(f"iCloud Drive's folder listing was unreadable ({kind})")


def each_folder(body: bytes, expected: int) -> Iterator[dict[str, Any]]:
    count = 0
    try:
        for folder in ijson.items(body, "item", use_float=True):
            if not isinstance(folder, dict) or count == expected:
                count = -1  # not a folder, or one more than asked
                break
            count += 1
            yield folder
    except ijson.JSONError as exc:
        raise errors.AppleUnavailable("iCloud Drive's folder listing was unreadable") from exc
    if count != expected:
        raise errors.AppleUnavailable(
            f"iCloud Drive's folder listing was unreadable ({count} entries for {expected})"
        )


async def download_token(
    client: AppleClient, zone: str, document_id: str, owner: str = ""
) -> DownloadToken:
    """``owner``: for a file in a folder another Apple ID shares, the owner's record name,
    which addresses the owner's zone (pyicloud 2026.10.1's ``get_file``)."""
    path = f"/ws/{zone}/download/by_id" + (f"/{quote(owner, safe='')}" if owner else "")
    response = await client.service(
        "GET", f"{_root(client, 'docws')}{path}", params={"document_id": document_id}
    )
    _raise_for_drive(response)
    if response.status_code == 404:
        raise errors.NotFound("that iCloud Drive file no longer exists")
    body = json_body(response)
    if response.status_code >= 400 or not isinstance(body, dict):
        raise errors.AppleUnavailable(f"iCloud Drive answered HTTP {response.status_code}")
    for key, package in (("data_token", False), ("package_token", True)):
        token = body.get(key)
        if isinstance(token, dict) and isinstance(token.get("url"), str) and token["url"]:
            version = str(body.get("double_etag") or "").split("::", 1)[0]
            return DownloadToken(token["url"], package, version)
    raise errors.AppleUnavailable("iCloud Drive gave no download URL for that file")
