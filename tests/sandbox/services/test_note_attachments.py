"""Notes attachments: real bytes on the content host, consistent with their records."""

from __future__ import annotations

import hashlib
import io
import re
from typing import Any

import httpx
import pytest
from PIL import Image

from cloudtap.sandbox.accounts.model import SandboxAccount
from cloudtap.sandbox.app import SandboxApp
from cloudtap.sandbox.cloudkit.container import CONTAINERS
from cloudtap.sandbox.photos import media
from cloudtap.sandbox.services import notes
from cloudtap.sandbox.services.content import note_files
from cloudtap.sandbox.world import SandboxWorld

KINDS = {"public.jpeg": "JPEG", "public.png": "PNG", "com.adobe.pdf": "PDF"}


def _attachments(account: SandboxAccount) -> list[dict[str, Any]]:
    """The file attachments (tables, links and drawings are Attachment records too)."""
    container = CONTAINERS["com.apple.notes"]
    token: str | None = None
    out: list[dict[str, Any]] = []
    while True:
        page = container.changes(account, "private", notes.ZONE, token, 200, ["Attachment"])
        out.extend(r for r in page.records if "PrimaryAsset" in r["fields"])
        token = page.sync_token
        if not page.more_coming:
            return out


def _one_of_each(account: SandboxAccount) -> dict[str, dict[str, Any]]:
    found: dict[str, dict[str, Any]] = {}
    for record in _attachments(account):
        found.setdefault(record["fields"]["AttachmentUTI"]["value"], record)
    assert sorted(found) == sorted(KINDS)
    return found


def _url(record: dict[str, Any]) -> str:
    url = record["fields"]["PrimaryAsset"]["value"]["downloadURL"]
    return str(url).replace("${f}", "$%7Bf%7D")


def _client(world: SandboxWorld) -> httpx.AsyncClient:
    # No cookies: like Apple's pre-signed asset URLs, the content host needs no session.
    return httpx.AsyncClient(transport=httpx.ASGITransport(SandboxApp(world)))


def _check_pdf(data: bytes) -> None:
    """What a reader relies on: header, ``startxref`` → ``xref``, each offset → its object."""
    assert data.startswith(b"%PDF-1.") and data.rstrip().endswith(b"%%EOF")
    start = int(re.findall(rb"startxref\s+(\d+)", data)[-1])
    assert data[start : start + 4] == b"xref"
    table = re.match(rb"xref\s+0 (\d+)\s+((?:\d{10} \d{5} [fn] ?\s+)+)", data[start:])
    assert table is not None
    entries = re.findall(rb"(\d{10}) \d{5} n", table.group(2))
    assert len(entries) == int(table.group(1)) - 1
    for number, offset in enumerate(entries, start=1):
        assert re.match(rb"%d 0 obj" % number, data[int(offset) :]), number


def test_every_attachment_advertises_an_asset_consistent_with_its_record(
    account: SandboxAccount,
) -> None:
    records = _attachments(account)
    assert records
    for record in records:
        fields = record["fields"]
        asset = fields["PrimaryAsset"]
        assert asset["type"] == "ASSETID"
        assert asset["value"]["size"] == fields["Size"]["value"]
        assert len(asset["value"]["fileChecksum"]) == 28
        assert asset["value"]["downloadURL"].startswith("https://cvws.icloud-content.com/B/")


@pytest.mark.parametrize("uti", sorted(KINDS))
async def test_bytes_decode_with_the_advertised_size_and_checksum(
    account: SandboxAccount, world: SandboxWorld, uti: str
) -> None:
    record = _one_of_each(account)[uti]
    asset = record["fields"]["PrimaryAsset"]["value"]
    async with _client(world) as client:
        whole = await client.get(_url(record))
        again = await client.get(_url(record))
    assert whole.status_code == 200
    assert len(whole.content) == asset["size"] == int(whole.headers["content-length"])
    assert whole.headers["etag"] == f'"{asset["fileChecksum"]}"'
    assert hashlib.md5(again.content).digest() == hashlib.md5(whole.content).digest()
    if KINDS[uti] == "PDF":
        _check_pdf(whole.content)
        return
    picture = Image.open(io.BytesIO(whole.content))
    picture.load()
    assert picture.format == KINDS[uti]
    file = note_files.attachment_file(account.content, note_index_of(account, record))
    assert file is not None and picture.size == (file.width, file.height)


def note_index_of(account: SandboxAccount, record: dict[str, Any]) -> int:
    note_name = record["fields"]["Note"]["value"]["recordName"]
    for index in range(account.content.notes):
        if notes.gen.note_name(account.content, index) == note_name:
            return index
    raise AssertionError("attachment of no note")


async def test_ranges_resume_and_bad_ranges_are_416(
    account: SandboxAccount, world: SandboxWorld
) -> None:
    record = _one_of_each(account)["public.jpeg"]
    size = record["fields"]["Size"]["value"]
    async with _client(world) as client:
        whole = (await client.get(_url(record))).content
        tail = await client.get(_url(record), headers={"Range": "bytes=1000-"})
        middle = await client.get(_url(record), headers={"Range": "bytes=70000-70099"})
        suffix = await client.get(_url(record), headers={"Range": "bytes=-7"})
        beyond = await client.get(_url(record), headers={"Range": f"bytes={size}-"})
    assert tail.status_code == 206 and tail.content == whole[1000:]
    assert tail.headers["content-range"] == f"bytes 1000-{size - 1}/{size}"
    assert middle.content == whole[70000:70100]
    assert suffix.content == whole[-7:]
    assert beyond.status_code == 416 and beyond.headers["content-range"] == f"bytes */{size}"


async def test_notes_without_attachments_and_other_accounts_are_404(
    account: SandboxAccount, world: SandboxWorld
) -> None:
    record = _one_of_each(account)["public.png"]
    index = note_index_of(account, record)
    url = _url(record)
    # The same token shape for a note with no attachment is not a file.
    assert note_files.attachment_file(account.content, index + 1) is None
    assert note_files.attachment_file(account.content, account.content.notes + 6) is None
    stranger = SandboxWorld.with_accounts([])
    async with _client(world) as client, _client(stranger) as other:
        tampered = await client.get(url.replace("/B/", "/B/A", 1))
        elsewhere = await other.get(url)
    assert tampered.status_code == 404 and elsewhere.status_code == 404


def test_bytes_are_deterministic_across_renders(account: SandboxAccount) -> None:
    for record in _one_of_each(account).values():
        file = note_files.attachment_file(account.content, note_index_of(account, record))
        assert file is not None
        first = media.join(note_files.pieces(file))
        note_files._pdf.cache_clear()  # rendered again from scratch, not from the cache
        media.clear_cache()
        assert media.join(note_files.pieces(file)) == first
