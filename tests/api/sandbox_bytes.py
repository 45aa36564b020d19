"""What the sandbox itself serves for a file id, fetched without cloudtap's iCloud client.

Photos: a raw CloudKit ``records/lookup`` through the sandbox's proxy with a web session
the sandbox issues directly, then the record's ``downloadURL``. Contact images and note
attachments: the sandbox's own content functions. Tests compare downloaded results with
these bytes.
"""

from __future__ import annotations

import base64

import httpx

from cloudtap.sandbox.apple.account_json import partition_of
from cloudtap.sandbox.hosts import service_url
from cloudtap.sandbox.photos import media
from cloudtap.sandbox.runtime import RunningSandbox
from cloudtap.sandbox.services.content import note_files
from cloudtap.sandbox.services.content.contacts import index_of, photo_jpeg
from cloudtap.sandbox.world import WEB_SESSION_COOKIE

RESOURCES = {"o": "resOriginal", "a": "resOriginalAlt", "v": "resOriginalVidCompl"}
RESOURCES |= {"f": "resJPEGFull", "m": "resJPEGMed", "t": "resJPEGThumb"}
RESOURCES |= {"M": "resVidMed", "S": "resVidSmall"}


def _decode(body: str) -> str:
    return base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)).decode("utf-8")


def _asset_bytes(
    sandbox: RunningSandbox,
    apple_id: str,
    path: str,
    zone: str,
    record_name: str,
    field: str,
) -> bytes:
    """Look ``record_name`` up in ``path`` (container/environment/database), then fetch
    the ``downloadURL`` of its asset ``field``."""
    account = sandbox.world.account(apple_id)
    assert account is not None
    web = sandbox.world.issue_web_session(account)
    root = service_url("ckdatabasews", partition_of(account), account.china)
    with httpx.Client(proxy=sandbox.proxy_url, verify=str(sandbox.ca_file)) as http:
        reply = http.post(
            f"{root}/database/1/{path}/records/lookup",
            json={"records": [{"recordName": record_name}], "zoneID": {"zoneName": zone}},
            cookies={WEB_SESSION_COOKIE: web.token},
        )
        reply.raise_for_status()
        [record] = reply.json()["records"]
        response = http.get(record["fields"][field]["value"]["downloadURL"])
        response.raise_for_status()
        return response.content


def photo_bytes(sandbox: RunningSandbox, apple_id: str, file_id: str) -> bytes:
    scope_code, zone, rest = _decode(file_id.removeprefix("icpl://")).split(":", 2)
    record_name, code = rest.rsplit(":", 1)
    database = "private" if scope_code == "p" else "shared"
    return _asset_bytes(
        sandbox,
        apple_id,
        f"com.apple.photos.cloud/production/{database}",
        "PrimarySync" if zone == "P" else zone,
        record_name,
        f"{RESOURCES[code]}Res",
    )


def note_attachment_bytes(sandbox: RunningSandbox, apple_id: str, file_id: str) -> bytes:
    """The world's own bytes (its generator): a note's file, wherever Apple's record keeps
    them (``PrimaryAsset`` or a ``Media`` record), or a drawing's picture."""
    account = sandbox.world.account(apple_id)
    assert account is not None
    file = note_files.by_name(account.content, file_id.removeprefix("mme_notes_attachment://"))
    assert file is not None, file_id
    return media.join(note_files.pieces(file))


def contact_image_bytes(sandbox: RunningSandbox, apple_id: str, file_id: str) -> bytes:
    account = sandbox.world.account(apple_id)
    assert account is not None
    index = index_of(account.content, _decode(file_id.removeprefix("mme_contact_image://")))
    assert index is not None
    return photo_jpeg(account.content, index)
