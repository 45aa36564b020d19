"""What an emulated CloudKit container (Photos, Notes, call history, Safari) provides.

The CloudKit server (``cloudtap.sandbox.cloudkit.server``) owns the wire protocol:
routes, cookies, the record envelope, error bodies, ``changes/zone`` paging with sync
tokens. A container only supplies an account's records, zone by zone. Records are
CloudKit JSON dicts (``recordName``, ``recordType``, ``fields``{k:{value,type}}, ...).
"""

from __future__ import annotations

from collections.abc import Hashable, Iterator
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

from cloudtap.sandbox.accounts.model import SandboxAccount

Database = Literal["private", "shared"]
Record = dict[str, Any]


@dataclass(frozen=True)
class Zone:
    name: str  # "PrimarySync", "SharedSync-<uuid>", "Notes", ...
    owner: str = "_defaultOwner"
    zone_type: str = "REGULAR_CUSTOM_ZONE"


@dataclass
class ChangesPage:
    records: list[Record]
    sync_token: str
    more_coming: bool


@dataclass
class QueryReply:
    records: list[Record]
    continuation_marker: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)


class CloudKitError(Exception):
    """Answered as CloudKit's ``{"serverErrorCode", "reason"}`` body with ``status``."""

    def __init__(self, server_error_code: str, reason: str, status: int = 400) -> None:
        super().__init__(reason)
        self.server_error_code = server_error_code
        self.reason = reason
        self.status = status


class Container(Protocol):
    name: str  # e.g. "com.apple.photos.cloud"

    def zones(self, account: SandboxAccount, database: Database) -> list[Zone]: ...

    def query(
        self, account: SandboxAccount, database: Database, zone: Zone, body: dict[str, Any]
    ) -> QueryReply:
        """Answer one ``records/query`` (one element of a ``query/batch``)."""
        ...

    def changes(
        self,
        account: SandboxAccount,
        database: Database,
        zone: Zone,
        sync_token: str | None,
        limit: int,
        record_types: list[str] | None,
    ) -> ChangesPage: ...

    def lookup(
        self, account: SandboxAccount, database: Database, zone: Zone, names: list[str]
    ) -> Iterator[Record]: ...


CONTAINERS: dict[str, Container] = {}


def register_container(container: Container) -> None:
    CONTAINERS[container.name] = container


class SupportsSyncToken(Protocol):
    """Optional: a container that can say where its zone's change log is now.

    The server puts this in every ``records/query`` and ``lookup`` reply's ``syncToken``;
    containers without it get a constant token.
    """

    def sync_token(self, account: SandboxAccount, database: Database, zone: Zone) -> str: ...


class SupportsModify(Protocol):
    """Optional: a container that accepts ``records/modify``.

    Returns one record (or a per-record error ``{recordName, serverErrorCode, reason}``)
    per operation; containers without it answer 403 ``ACCESS_DENIED``.
    """

    def modify(
        self, account: SandboxAccount, database: Database, zone: Zone, operations: list[Any]
    ) -> list[Record]: ...


class SupportsReplyVersion(Protocol):
    """Optional: a container whose ``records/query`` answers for a zone depend only on
    the request and a version of the zone that every mutation of it changes.

    The server keeps such answers (``replies.ReplyCache``) and serves them again while
    ``reply_version`` is unchanged; ``None`` means "do not keep".
    """

    def reply_version(
        self, account: SandboxAccount, database: Database, zone: Zone
    ) -> Hashable | None: ...
