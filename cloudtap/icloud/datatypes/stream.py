"""The async iterator every data type returns, with a resume cursor once exhausted, and
the ids of items Apple reported deleted (an incremental listing's tombstones)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any

from cloudtap.icloud.connector import JSONDict

CursorSink = Callable[[JSONDict], None]
# A data type's fetch yields ``removed(item_id)`` for an item Apple reports deleted since
# its cursor; the stream keeps it aside in ``deleted`` instead of yielding it as an item.
_REMOVED = "__cloudtap_removed__"


def removed(item_id: str) -> JSONDict:
    return {_REMOVED: item_id}


def removed_id(item: JSONDict) -> str | None:
    found = item.get(_REMOVED)
    return str(found) if found is not None else None


# A fetch yields ``warning(code, message)`` when it goes on without part of the data (a
# Shared Library Apple would not list): kept aside in ``warnings``, never silent.
_WARNING = "__cloudtap_warning__"


def warning(code: str, message: str) -> JSONDict:
    return {_WARNING: {"code": code, "message": message}}


class ItemStream:
    """Iterates items; after the last one, ``cursor`` holds where a next listing resumes.

    The job layer may keep ``cursor`` (it can hold sync tokens, not secrets) and pass it
    back as ``Filters(cursor=...)`` for the same source and data type. ``deleted`` holds,
    in order and once each, the ids of items deleted on Apple's side since that cursor.
    """

    def __init__(self, produce: Callable[[CursorSink], AsyncIterator[JSONDict]]) -> None:
        self.cursor: JSONDict | None = None
        self.deleted: list[str] = []
        self.warnings: list[JSONDict] = []
        self._seen_deleted: set[str] = set()
        self._items = produce(self._set_cursor)

    def _set_cursor(self, cursor: JSONDict) -> None:
        self.cursor = cursor

    def __aiter__(self) -> ItemStream:
        return self

    async def __anext__(self) -> JSONDict:
        while True:
            item = await self._items.__anext__()
            said = item.get(_WARNING)
            if isinstance(said, dict):
                self.warnings.append(said)
                continue
            gone = removed_id(item)
            if gone is None:
                return item
            if gone not in self._seen_deleted:
                self._seen_deleted.add(gone)
                self.deleted.append(gone)

    async def aclose(self) -> None:
        close: Any = getattr(self._items, "aclose", None)
        if close is not None:
            await close()
