"""Note attachments through the real sandbox proxy: listed with their facts, then
downloaded byte-exact (and resumed with ``Range`` when the connection keeps dropping)."""

from __future__ import annotations

import hashlib

from cloudtap.icloud import errors
from cloudtap.icloud.client.connector import ICloudConnector
from cloudtap.icloud.connector import Credentials, Filters, JSONDict
from cloudtap.icloud.files.note_attachment import LOOKUP_BATCH
from cloudtap.sandbox.photos import media
from cloudtap.sandbox.runtime import RunningSandbox
from cloudtap.sandbox.services.content import note_files
from tests.api.sandbox_bytes import note_attachment_bytes
from tests.icloud.client.conftest import PASSWORD, RequestLog, apple_id


async def _attachments(connector: ICloudConnector, name: str) -> tuple[JSONDict, list[JSONDict]]:
    outcome = await connector.login(Credentials(apple_id(name), PASSWORD), None)
    assert outcome.state == "active" and outcome.session_state
    state = outcome.session_state
    notes = [n async for n in connector.fetch_items(state, "mme_notes.notes", Filters())]
    return state, [a for note in notes for a in note["attachments"]]


async def test_attachments_download_byte_exact(
    connector: ICloudConnector, sandbox: RunningSandbox
) -> None:
    state, attachments = await _attachments(connector, "rich")
    kinds = {a["extension"]: a for a in attachments}
    assert sorted(kinds) == ["jpg", "pdf", "png"]
    for entry in kinds.values():
        assert entry["file_id"] == f"mme_notes_attachment://{entry['id']}"
        assert entry["name"] and entry["size"] > 0
        stream = await connector.open_file(state, entry["file_id"])
        assert (stream.info.extension, stream.info.size) == (entry["extension"], entry["size"])
        got = b"".join([chunk async for chunk in stream.iter_bytes()])
        expected = note_attachment_bytes(sandbox, apple_id("rich"), entry["file_id"])
        assert len(got) == entry["size"]
        assert hashlib.sha256(got).digest() == hashlib.sha256(expected).digest()
    assert kinds["pdf"]["name"].endswith(".pdf") and stream.info.content_type


async def test_listing_looks_attachments_up_200_at_a_time(
    connector: ICloudConnector, requests_made: RequestLog
) -> None:
    requests_made.clear()
    state, attachments = await _attachments(connector, "notes-5k")
    assert len(attachments) > 600 and all(a["size"] and a["name"] for a in attachments)
    pages = len([u for u in requests_made.urls if "changes/zone" in u])
    lookups = len([u for u in requests_made.urls if "records/lookup" in u])
    # Inline attachments (tables, hashtags...) are looked up too, in the same batches;
    # a page of notes is never split, so one batch may fall short.
    notes = [n async for n in connector.fetch_items(state, "mme_notes.notes", Filters())]
    names = len(attachments) + sum(len(n["inline"]) for n in notes)
    assert pages > 20 and lookups <= names // LOOKUP_BATCH + 2


async def test_a_download_cut_every_64_kb_resumes_to_the_same_bytes(
    connector: ICloudConnector, sandbox: RunningSandbox, requests_made: RequestLog
) -> None:
    state, attachments = await _attachments(connector, "flaky")
    entry = max(attachments, key=lambda a: a["size"])
    assert entry["size"] > 5 * 64_000
    requests_made.clear()
    stream = await connector.open_file(state, entry["file_id"])
    got = b"".join([chunk async for chunk in stream.iter_bytes()])
    assert got == _generated(sandbox, "flaky", entry["id"])  # the flaky host cuts a plain GET
    downloads = [u for u in requests_made.urls if "icloud-content.com" in u]
    assert len(downloads) > entry["size"] // 64_000  # resumed many times, with Range


def _generated(sandbox: RunningSandbox, name: str, record_name: str) -> bytes:
    """The sandbox's bytes for an attachment, straight from its generator."""
    account = sandbox.world.account(apple_id(name))
    assert account is not None
    for index in range(account.content.notes):
        file = note_files.attachment_file(account.content, index)
        if file is not None and file.name == record_name:
            return media.join(note_files.pieces(file))
    raise AssertionError(f"no attachment {record_name}")


async def test_unknown_or_malformed_ids_are_not_found(connector: ICloudConnector) -> None:
    state, _ = await _attachments(connector, "notes-5k")
    for file_id in ("mme_notes_attachment://0000-not-there", "mme_notes_attachment://%%"):
        try:
            await connector.open_file(state, file_id)
        except errors.NotFound:
            continue
        raise AssertionError(f"{file_id} opened")
