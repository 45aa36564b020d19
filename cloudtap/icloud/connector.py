"""The one narrow interface between cloudtap's job layer and the iCloud client.

``cloudtap.jobs`` only ever talks to Apple (or the sandbox) through a :class:`Connector`.
Everything crossing it is plain data: credentials in; outcomes, JSON-ready items and
byte streams out; and an opaque, JSON-serialisable ``state`` dict that the job layer
seals (AES-GCM) and stores between calls. The icloud package never sees the database.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal, Protocol

JSONDict = dict[str, Any]


@dataclass(frozen=True)
class TransportOptions:
    """How to reach Apple: directly (live) or through the sandbox's TLS proxy."""

    proxy_url: str | None = None
    ca_file: str | None = None
    timeout_seconds: float = 30.0


@dataclass(frozen=True)
class Credentials:
    apple_id: str
    # Used for the login, then dropped by the caller: never stored, never logged.
    password: str | None = field(default=None, repr=False)
    code: str | None = field(default=None, repr=False)
    choice: str | None = None


@dataclass(frozen=True)
class LoginOutcome:
    state: Literal["active", "failed"]
    error: str | None = None
    error_info: JSONDict | None = None
    # Opaque client state to seal and keep: the live web session when active, or the
    # login in progress (SRP/2FA context) when a code or choice is still needed.
    session_state: JSONDict | None = None
    # Non-secret facts about the account (dsid, full name) for the source object.
    account: JSONDict = field(default_factory=dict)
    # When an active login's trust ends (Unix seconds), if Apple said; None: it did not.
    trust_expires: float | None = None


@dataclass(frozen=True)
class Filters:
    since: datetime | None = None
    until: datetime | None = None
    # Optional resume point from a previous listing of the same data type and source:
    # the ``cursor`` attribute of the stream ``fetch_items`` returned, once exhausted.
    # With it, a listing yields only what changed since (CloudKit sync tokens).
    cursor: JSONDict | None = None
    # ``icpl.photos`` only: list just these albums' assets (``icpl.albums`` item ids), in
    # album order; other data types ignore it.
    albums: tuple[str, ...] = ()
    # ``icpl.albums`` only: list just albums of these kinds (e.g. ``("shared",)``); such a
    # listing is partial, so it leaves no cursor. Other data types ignore it.
    album_kinds: tuple[str, ...] = ()

    def admit(self, moment: datetime | None) -> bool:
        """Whether an item of ``moment`` lies strictly between ``since`` and ``until``
        (naive bounds are UTC); an item without a time passes only unbounded filters."""
        if moment is None:
            return self.since is None and self.until is None
        since = self.since.replace(tzinfo=self.since.tzinfo or UTC) if self.since else None
        until = self.until.replace(tzinfo=self.until.tzinfo or UTC) if self.until else None
        return not ((since and moment <= since) or (until and moment >= until))


@dataclass(frozen=True)
class FileInfo:
    file_id: str
    size: int | None
    extension: str
    content_type: str = "application/octet-stream"


class FileStream(Protocol):
    info: FileInfo

    def iter_bytes(self, offset: int = 0) -> AsyncIterator[bytes]: ...


class Connector(Protocol):
    """What the job layer may ask of iCloud. Implementations raise ``ICloudError``s."""

    async def login(self, credentials: Credentials, saved_state: JSONDict | None) -> LoginOutcome:
        """Log in, or continue the login in ``saved_state`` with a code or choice.

        ``saved_state`` may also be a previous trusted session, whose trust token lets
        the login skip 2FA.
        """
        ...

    async def validate(self, session_state: JSONDict) -> JSONDict:
        """Check the web session is alive (re-logging in with the trust token if it can);
        returns the possibly refreshed state or raises ``SessionExpired``."""
        ...

    async def logout(self, session_state: JSONDict) -> None: ...

    def info_types(self) -> list[str]: ...

    def data_types(self) -> list[str]: ...

    async def fetch_info(self, session_state: JSONDict, info_type: str) -> JSONDict: ...

    def fetch_items(
        self, session_state: JSONDict, data_type: str, filters: Filters
    ) -> AsyncIterator[JSONDict]: ...

    async def open_file(self, session_state: JSONDict, file_id: str) -> FileStream: ...


class ConnectorFactory(Protocol):
    def __call__(self, transport: TransportOptions, context: Mapping[str, Any]) -> Connector: ...
