"""Many files of one account through one client.

Every transfer borrows the same :class:`AppleClient`, so its keep-alive connections (and
TLS tunnels) serve file after file. ``icpl://`` records are looked up many at a time:
``records/lookup`` takes a list of record names (the listing's ``CPLMaster`` lookups use
it the same way, see ``docs/apple-evidence.md``), read one chunk ahead of the transfers.
A file its chunk did not resolve (a failed lookup, a record gone) is opened on its own,
so its error is the same as when it is the only file.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

from cloudtap.icloud import errors
from cloudtap.icloud.client.apple import AppleClient
from cloudtap.icloud.connector import FileInfo
from cloudtap.icloud.files import icpl
from cloudtap.icloud.files.registry import open_file
from cloudtap.icloud.files.stream import DownloadStream
from cloudtap.icloud.services.photos import PhotosLibrary, PhotoZone

log = logging.getLogger(__name__)

# Record names per records/lookup: well under CloudKit's 200 records per operation.
LOOKUP_BATCH = 100


@dataclass
class _Chunk:
    zone: PhotoZone
    # (file id, ref) of each file, by record name
    refs: dict[str, list[tuple[str, icpl.PhotoFileRef]]] = field(default_factory=dict)


class FileBatch:
    """Opens the files of ``file_ids`` (in any order) over one shared client."""

    def __init__(self, client: AppleClient, file_ids: Sequence[str]) -> None:
        self._client = client
        self._chunks: list[_Chunk] = []
        self._chunk_of: dict[str, int] = {}
        self._found: dict[str, tuple[FileInfo, str]] = {}
        self._lookups: dict[int, asyncio.Task[None]] = {}
        open_chunks: dict[tuple[str, str], int] = {}
        for file_id in dict.fromkeys(file_ids):
            if not file_id.startswith(icpl.SCHEME):
                continue
            try:
                ref = icpl.PhotoFileRef.parse(file_id)
            except errors.NotFound:
                continue  # opened on its own, which reports it
            key = (ref.scope, ref.zone_name)
            index = open_chunks.get(key)
            chunk = self._chunks[index] if index is not None else None
            if chunk is None or (
                ref.record_name not in chunk.refs and len(chunk.refs) >= LOOKUP_BATCH
            ):
                zone = PhotoZone(ref.scope, {"zoneName": ref.zone_name})
                chunk, index = _Chunk(zone), len(self._chunks)
                self._chunks.append(chunk)
                open_chunks[key] = index
            assert index is not None
            chunk.refs.setdefault(ref.record_name, []).append((file_id, ref))
            self._chunk_of[file_id] = index

    @asynccontextmanager
    async def lend(self) -> AsyncIterator[AppleClient]:
        """The shared client for one block; it stays open for the next transfer."""
        yield self._client

    async def open(self, file_id: str) -> DownloadStream:
        index = self._chunk_of.get(file_id)
        if index is not None:
            await self._looked_up(index)
            found = self._found.pop(file_id, None)
            if found is not None:
                ref = icpl.PhotoFileRef.parse(file_id)
                return DownloadStream(*found, self.lend, self._refresher(ref))
        return await open_file(file_id, self.lend)

    def _refresher(self, ref: icpl.PhotoFileRef) -> Callable[[AppleClient], Awaitable[str]]:
        async def refresh(client: AppleClient) -> str:
            _, fresh = await icpl.locate(PhotosLibrary(client), ref)
            return fresh

        return refresh

    async def _looked_up(self, index: int) -> None:
        for ahead in (index, index + 1):  # the next chunk is read while this one downloads
            if ahead < len(self._chunks) and ahead not in self._lookups:
                self._lookups[ahead] = asyncio.create_task(self._lookup(self._chunks[ahead]))
        await asyncio.shield(self._lookups[index])

    async def _lookup(self, chunk: _Chunk) -> None:
        library = PhotosLibrary(self._client)
        try:
            records = await library.database(chunk.zone.scope).lookup(
                chunk.zone.zone_id, list(chunk.refs)
            )
        except errors.ICloudError as exc:
            # Each file is then looked up alone and gets its own verdict (e.g. throttled).
            log.info("batch lookup of %d records failed: %s", len(chunk.refs), exc.code)
            return
        for record in records:
            refs = chunk.refs.get(str(record.get("recordName")))
            if not refs or not record.get("fields"):
                continue
            for file_id, ref in refs:
                with contextlib.suppress(errors.NotFound):
                    self._found[file_id] = icpl.describe(record, ref)

    async def aclose(self) -> None:
        for lookup in self._lookups.values():
            lookup.cancel()
        for lookup in self._lookups.values():
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await lookup
