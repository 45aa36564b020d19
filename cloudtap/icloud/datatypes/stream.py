"""The async iterator every data type returns, with a resume cursor once exhausted."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any

from cloudtap.icloud.connector import JSONDict

CursorSink = Callable[[JSONDict], None]


class ItemStream:
    """Iterates items; after the last one, ``cursor`` holds where a next listing resumes.

    The job layer may keep ``cursor`` (it can hold sync tokens, not secrets) and pass it
    back as ``Filters(cursor=...)`` for the same source and data type.
    """

    def __init__(self, produce: Callable[[CursorSink], AsyncIterator[JSONDict]]) -> None:
        self.cursor: JSONDict | None = None
        self._items = produce(self._set_cursor)

    def _set_cursor(self, cursor: JSONDict) -> None:
        self.cursor = cursor

    def __aiter__(self) -> ItemStream:
        return self

    async def __anext__(self) -> JSONDict:
        return await self._items.__anext__()

    async def aclose(self) -> None:
        close: Any = getattr(self._items, "aclose", None)
        if close is not None:
            await close()
