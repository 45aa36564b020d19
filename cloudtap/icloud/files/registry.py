"""File id scheme -> how to open it.

``icpl://`` are iCloud Photos resources, ``icpl_shared://`` those of shared albums,
``mme_contact_image://`` photos of contacts, ``mme_notes_attachment://`` files attached to
notes, ``icloud_drive://`` iCloud Drive files.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from contextlib import AbstractAsyncContextManager

from cloudtap.icloud import errors
from cloudtap.icloud.client.apple import AppleClient
from cloudtap.icloud.connector import FileInfo
from cloudtap.icloud.files import contact_image, drive_file, icpl, note_attachment, shared_photo
from cloudtap.icloud.files.stream import DownloadStream
from cloudtap.icloud.services.cloudkit import CloudKitDatabase
from cloudtap.icloud.services.photos import PhotosLibrary

# Each call gives a client for one block: a new one (closed after), or a shared one lent.
ClientFactory = Callable[[], AbstractAsyncContextManager[AppleClient]]


async def open_photo(file_id: str, open_client: ClientFactory) -> DownloadStream:
    ref = icpl.PhotoFileRef.parse(file_id)
    async with open_client() as client:
        info, url = await icpl.locate(PhotosLibrary(client), ref)

    async def refresh(client: AppleClient) -> str:
        _, fresh = await icpl.locate(PhotosLibrary(client), ref)
        return fresh

    return DownloadStream(info, url, open_client, refresh)


async def open_contact_image(file_id: str, open_client: ClientFactory) -> DownloadStream:
    ref = contact_image.ContactImageRef.parse(file_id)
    async with open_client() as client:
        info, url = await contact_image.locate(client, ref)
    return DownloadStream(info, url, open_client)


async def open_note_attachment(file_id: str, open_client: ClientFactory) -> DownloadStream:
    ref = note_attachment.NoteAttachmentRef.parse(file_id)

    def notes(client: AppleClient) -> CloudKitDatabase:
        return CloudKitDatabase(client, note_attachment.CONTAINER, "private")

    async with open_client() as client:
        info, url = await note_attachment.locate(notes(client), ref)

    async def refresh(client: AppleClient) -> str:
        _, fresh = await note_attachment.locate(notes(client), ref)
        return fresh

    return DownloadStream(info, url, open_client, refresh)


async def _open_located(
    locate: Callable[[AppleClient], Awaitable[tuple[FileInfo, str]]], open_client: ClientFactory
) -> DownloadStream:
    """A file whose facts and URL one call finds, and whose fresh URL the same call gives."""
    async with open_client() as client:
        info, url = await locate(client)

    async def refresh(client: AppleClient) -> str:
        _, fresh = await locate(client)
        return fresh

    return DownloadStream(info, url, open_client, refresh)


async def open_drive_file(file_id: str, open_client: ClientFactory) -> DownloadStream:
    ref = drive_file.DriveFileRef.parse(file_id)
    return await _open_located(lambda client: drive_file.locate(client, ref), open_client)


async def open_shared_photo(file_id: str, open_client: ClientFactory) -> DownloadStream:
    ref = shared_photo.SharedPhotoFileRef.parse(file_id)
    return await _open_located(lambda client: shared_photo.locate(client, ref), open_client)


_OPENERS = {
    icpl.SCHEME: open_photo,
    shared_photo.SCHEME: open_shared_photo,
    contact_image.SCHEME: open_contact_image,
    note_attachment.SCHEME: open_note_attachment,
    drive_file.SCHEME: open_drive_file,
}


async def current_url(file_id: str, open_client: ClientFactory) -> str:
    """A fresh download URL of one file, found on its own."""
    stream = await open_file(file_id, open_client)
    return stream.url


async def open_file(file_id: str, open_client: ClientFactory) -> DownloadStream:
    for scheme, opener in _OPENERS.items():
        if file_id.startswith(scheme):
            return await opener(file_id, open_client)
    raise errors.NotFound(f"no file type handles {file_id[:40]!r}")
