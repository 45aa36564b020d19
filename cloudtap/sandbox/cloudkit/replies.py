"""Serialized ``records/query`` replies kept per world, for zones that cannot change
without the world knowing.

A listing page of 200 generated records costs the sandbox ~9 ms to build and encode and
is ~370 KB of JSON; a client listing a library asks for the same pages again and again.
A container that can name a version of a zone (one that every mutation path changes,
``SupportsReplyVersion``) gets its pages kept here, zlib-compressed (~7x smaller, ~0.5 ms
to inflate), keyed by the request and that version, so a changed zone is never answered
from an older page. Bounded by compressed bytes; the oldest entries go first.
"""

from __future__ import annotations

import threading
import zlib
from collections import OrderedDict
from collections.abc import Hashable

# Compressed bytes kept per world: a 100k-asset listing (950 pages) takes ~55 MB.
REPLY_CACHE_BYTES = 256 * 2**20


class ReplyCache:
    def __init__(self, limit_bytes: int = REPLY_CACHE_BYTES) -> None:
        self.limit_bytes = limit_bytes
        self.size = 0
        self._entries: OrderedDict[Hashable, bytes] = OrderedDict()
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._entries)

    def get(self, key: Hashable) -> bytes | None:
        with self._lock:
            packed = self._entries.get(key)
            if packed is None:
                return None
            self._entries.move_to_end(key)
        return zlib.decompress(packed)

    def put(self, key: Hashable, body: bytes) -> None:
        packed = zlib.compress(body, 1)
        if len(packed) > self.limit_bytes:
            return
        with self._lock:
            old = self._entries.pop(key, None)
            if old is not None:
                self.size -= len(old)
            self._entries[key] = packed
            self.size += len(packed)
            while self.size > self.limit_bytes:
                _, evicted = self._entries.popitem(last=False)
                self.size -= len(evicted)
