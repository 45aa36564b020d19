"""``ICloudConnector``: the :class:`~cloudtap.icloud.connector.Connector` the job layer uses.

One code path for live Apple and the sandbox; only ``TransportOptions`` differ. Every
method is stateless between calls: what it needs comes in ``session_state``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager, nullcontext

from cloudtap.icloud import errors, info
from cloudtap.icloud.auth import signin
from cloudtap.icloud.auth.flow import LoginFlow, active_state, session_from_state
from cloudtap.icloud.client.apple import AppleClient
from cloudtap.icloud.connector import (
    Credentials,
    FileInfo,
    FileStream,
    Filters,
    JSONDict,
    LoginOutcome,
    TransportOptions,
)
from cloudtap.icloud.datatypes.registry import data_type_ids, fetcher_for
from cloudtap.icloud.datatypes.stream import CursorSink, ItemStream
from cloudtap.icloud.files.batch import FileBatch
from cloudtap.icloud.files.registry import open_file
from cloudtap.icloud.locks import LOCAL_LOCKS, LockProvider
from cloudtap.icloud.session import AppleSession
from cloudtap.icloud.transport import RequestHook


class ICloudConnector:
    def __init__(
        self,
        transport: TransportOptions,
        *,
        request_hooks: Sequence[RequestHook] = (),
        locks: LockProvider = LOCAL_LOCKS,
    ) -> None:
        self.transport = transport
        # Observers of every outgoing request (tests count Apple calls with one).
        self.request_hooks = tuple(request_hooks)
        # Per-Apple-ID login lock and download slots; a multi-process deployment gives
        # one that holds across its processes.
        self.locks = locks

    def __repr__(self) -> str:
        return f"ICloudConnector(proxy={self.transport.proxy_url!r})"

    def _client(self, session: AppleSession) -> AppleClient:
        return AppleClient(
            self.transport,
            session,
            request_hooks=self.request_hooks,
            refresher=signin.refresh_web_session,
        )

    def _session(self, session_state: JSONDict) -> AppleSession:
        if not isinstance(session_state, dict) or session_state.get("kind") != "session":
            raise errors.SessionExpired("no active Apple session in this state")
        session = session_from_state(session_state)
        if session is None or (not session.session_token and not len(session.cookies.jar)):
            raise errors.SessionExpired("no active Apple session in this state")
        return session

    async def login(self, credentials: Credentials, saved_state: JSONDict | None) -> LoginOutcome:
        flow = LoginFlow(self.transport, self.request_hooks, self.locks)
        return await flow.login(credentials, saved_state)

    async def validate(self, session_state: JSONDict) -> JSONDict:
        session = self._session(session_state)
        async with self._client(session) as client:
            web = await signin.validate(client)
            if web is None:
                await signin.refresh_web_session(client)
            else:
                signin.check_account(web)
            return active_state(client.session)

    async def logout(self, session_state: JSONDict) -> None:
        try:
            session = self._session(session_state)
        except errors.SessionExpired:
            return
        async with self._client(session) as client:
            try:
                await signin.logout(client)
            except Exception:
                return

    def info_types(self) -> list[str]:
        return [*info.INFO_TYPES, info.DATA_TYPES_INFO]

    def data_types(self) -> list[str]:
        return data_type_ids()

    async def fetch_info(self, session_state: JSONDict, info_type: str) -> JSONDict:
        session = self._session(session_state)
        async with self._client(session) as client:
            if info_type == info.DATA_TYPES_INFO:
                return info.available_data_types(client, self.data_types())
            fetch = info.INFO_TYPES.get(info_type)
            if fetch is None:
                raise errors.NotFound(f"unknown info type {info_type!r}")
            return await fetch(client)

    def fetch_items(self, session_state: JSONDict, data_type: str, filters: Filters) -> ItemStream:
        fetch = fetcher_for(data_type)
        session = self._session(session_state)

        async def produce(set_cursor: CursorSink) -> AsyncIterator[JSONDict]:
            async with self._client(session) as client:
                async for item in fetch(client, filters, set_cursor):
                    yield item

        return ItemStream(produce)

    async def open_file(self, session_state: JSONDict, file_id: str) -> FileStream:
        session = self._session(session_state)
        state = session.to_state()
        # Each byte stream gets its own client, built from the same saved session.
        stream = await open_file(file_id, lambda: self._client(AppleSession.from_state(state)))
        if self.locks is LOCAL_LOCKS:
            return stream  # the stream already takes this process's download slot
        return SlottedStream(stream, lambda: self.locks.download_slot(session.apple_id))

    @asynccontextmanager
    async def file_batch(
        self, session_state: JSONDict, file_ids: Sequence[str]
    ) -> AsyncIterator[BatchOpener]:
        """An opener for many files of one session over one shared client (keep-alive
        connections, record lookups in batches); each transfer still takes a slot."""
        session = self._session(session_state)
        async with self._client(session) as client:
            batch = FileBatch(client, file_ids)
            try:
                yield BatchOpener(batch, self.locks, session.apple_id)
            finally:
                await batch.aclose()


class BatchOpener:
    def __init__(self, batch: FileBatch, locks: LockProvider, apple_id: str) -> None:
        self._batch = batch
        self._locks = locks
        self._apple_id = apple_id

    async def open(self, file_id: str, *, slot_held: bool = False) -> FileStream:
        """The file's stream; it takes a download slot while it transfers, unless the
        caller holds one from :meth:`slot` for it."""
        stream = await self._batch.open(file_id)
        if self._locks is LOCAL_LOCKS or slot_held:
            return stream  # the stream already takes this process's download slot
        return SlottedStream(stream, lambda: self._locks.download_slot(self._apple_id))

    def slot(self) -> AbstractAsyncContextManager[None]:
        """One of the account's download slots, for a caller that transfers file after
        file in it (``open(..., slot_held=True)``): taken and given back once, not per
        file. With this process's own limits the stream takes its slot itself."""
        if self._locks is LOCAL_LOCKS:
            return nullcontext()
        return self._locks.download_slot(self._apple_id)


class SlottedStream:
    """A file stream that holds one of the provider's download slots while it transfers."""

    def __init__(
        self, inner: FileStream, slot: Callable[[], AbstractAsyncContextManager[None]]
    ) -> None:
        self.info: FileInfo = inner.info
        self._inner = inner
        self._slot = slot

    def __repr__(self) -> str:
        return f"SlottedStream({self._inner!r})"

    async def iter_bytes(self, offset: int = 0) -> AsyncIterator[bytes]:
        async with self._slot():
            async for chunk in self._inner.iter_bytes(offset):
                yield chunk
