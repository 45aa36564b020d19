"""Many files of one account through one client.

Every transfer borrows the same :class:`AppleClient`, so its keep-alive connections (and
TLS tunnels) serve file after file. The files are found many at a time
(:mod:`cloudtap.icloud.files.batch_chunks`: photo and note-attachment records looked up
in lists, the contacts book read once for all its images), one chunk ahead of the
transfers. A download URL that stopped working is refreshed for its whole chunk at once
(one more lookup, not one per file). A file its chunk did not resolve (a failed lookup,
a type without a batched form) is opened on its own, so its error is the same as when it
is the only file.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager

from cloudtap.icloud import errors
from cloudtap.icloud.client.apple import AppleClient
from cloudtap.icloud.files.batch_chunks import Chunk, Verdict, plan
from cloudtap.icloud.files.registry import current_url, open_file
from cloudtap.icloud.files.stream import DownloadStream

log = logging.getLogger(__name__)


class _Resolved:
    """What one chunk's latest lookup answered; ``generation`` counts its lookups."""

    def __init__(self, chunk: Chunk) -> None:
        self.chunk = chunk
        self.verdicts: dict[str, Verdict] = {}
        self.generation = 0
        self.failed = False
        self.guard = asyncio.Lock()

    async def look_up(self, client: AppleClient) -> None:
        try:
            self.verdicts = await self.chunk.resolve(client)
            self.failed = False
        except errors.ICloudError as exc:
            # Each file is then looked up alone and gets its own verdict (e.g. throttled).
            log.info("batch lookup of %d files failed: %s", len(self.chunk.file_ids), exc.code)
            self.verdicts, self.failed = {}, True
        self.generation += 1


class FileBatch:
    """Opens the files of ``file_ids`` (in any order) over one shared client."""

    def __init__(self, client: AppleClient, file_ids: Sequence[str]) -> None:
        self._client = client
        chunks, self._chunk_of = plan(file_ids)
        self._chunks = [_Resolved(chunk) for chunk in chunks]
        self._lookups: dict[int, asyncio.Task[None]] = {}
        self._opened: set[str] = set()

    @asynccontextmanager
    async def lend(self) -> AsyncIterator[AppleClient]:
        """The shared client for one block; it stays open for the next transfer."""
        yield self._client

    async def open(self, file_id: str) -> DownloadStream:
        index = self._chunk_of.get(file_id)
        # A file asked for twice is opened alone the second time: its first URL may be
        # spent, and a chunk's answer is used once per file.
        if index is not None and file_id not in self._opened:
            self._opened.add(file_id)
            await self._looked_up(index)
            resolved = self._chunks[index]
            verdict = resolved.verdicts.get(file_id)
            if isinstance(verdict, errors.ICloudError):
                raise verdict
            if verdict is not None:
                refresh = self._refresher(resolved, file_id, resolved.generation)
                return DownloadStream(*verdict, self.lend, refresh)
        return await open_file(file_id, self.lend)

    def _refresher(
        self, resolved: _Resolved, file_id: str, generation: int
    ) -> Callable[[AppleClient], Awaitable[str]]:
        async def refresh(client: AppleClient) -> str:
            nonlocal generation
            async with resolved.guard:
                if resolved.generation == generation:  # no other file refreshed it yet
                    await resolved.look_up(self._client)
            generation = resolved.generation
            if resolved.failed:
                # The chunk's lookup failed: this file alone, as when it is the only one.
                return await current_url(file_id, self.lend)
            verdict = resolved.verdicts.get(file_id)
            if isinstance(verdict, errors.ICloudError):
                raise verdict
            if verdict is None:
                return await current_url(file_id, self.lend)
            return verdict[1]

        return refresh

    async def _looked_up(self, index: int) -> None:
        for ahead in (index, index + 1):  # the next chunk is read while this one downloads
            if ahead < len(self._chunks) and ahead not in self._lookups:
                lookup = self._chunks[ahead].look_up(self._client)
                self._lookups[ahead] = asyncio.create_task(lookup)
        await asyncio.shield(self._lookups[index])

    async def aclose(self) -> None:
        for lookup in self._lookups.values():
            lookup.cancel()
        for lookup in self._lookups.values():
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await lookup
