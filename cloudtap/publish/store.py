"""What a result store is: where published results live and how they come back out.

The local directory store is the embedded default; an S3 store implements the same
shape (``writer``/``read``/``delete``) and is chosen by :mod:`cloudtap.publish.stores`.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Any, Protocol


@dataclass(frozen=True)
class StoredObject:
    storage: str  # which store ("local", later "s3")
    location: str  # where, in that store's terms
    url: str  # what the result's ``url`` says
    size: int
    checksum: str  # MD5 hex of the stored bytes


class ResultSink(Protocol):
    size: int

    def write(self, chunk: bytes) -> None: ...


class ResultStore(Protocol):
    name: str

    def writer(self, key: str) -> AbstractContextManager[tuple[Any, list[StoredObject]]]: ...

    def read(self, location: str) -> Iterator[bytes]: ...

    def delete(self, location: str) -> None: ...
