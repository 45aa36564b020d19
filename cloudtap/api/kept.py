"""Whole answers kept encoded (and gzipped) in memory, for GETs clients repeat.

A ricloud client waiting on a poll GETs it again and again; a settled files poll lists
hundreds of results with signed links (~460 KB for 632). Such an answer is kept as the
bytes sent, with a gzip copy for clients that accept it (``requests`` always does) and
an ETag, and answered on the event loop without touching the database while both hold:

- nothing this process wrote since could change it (``cloudtap.store.changes``: any
  write to polls, tasks, results, sessions, keys, ... moves the generation), and
- it is younger than ``KEEP_SECONDS`` (one second, as long as ``cloudtap.api.auth``
  remembers a key): writes by another process (a ``cloudtap worker``, a second
  ``serve``) show within that second, when the answer is built again from the database.

Past half that age, one request (``refresh_due``) has the answer built again in the
background while it and the others are still answered the kept one, so that a poll read
steadily is never waited for.

Whoever keeps an answer puts in its key everything else the bytes depend on (the
caller's organisation and environment, the base URL and expiry minute of its links).
"""

from __future__ import annotations

import hashlib
import threading
import time
import zlib
from collections import OrderedDict
from collections.abc import Hashable
from dataclasses import dataclass

from starlette.requests import Request
from starlette.responses import Response

from cloudtap.store import changes

KEEP_SECONDS = 1.0
# Bounded by size: this process's memory matters more than a miss (bench ``rss-100k``).
MAX_BYTES = 16 * 1024 * 1024
# Smaller answers are not worth compressing.
GZIP_MIN_BYTES = 1024


@dataclass(frozen=True)
class KeptAnswer:
    body: bytes
    gzipped: bytes | None
    etag: str  # of ``body``; the gzip copy's is ``etag`` with ``-gzip`` inside the quotes
    generation: int
    until: float  # time.monotonic() after which it is built again
    refresh_at: float  # time.monotonic() after which it is built again in the background

    @property
    def size(self) -> int:
        return len(self.body) + len(self.gzipped or b"")

    def response(self, request: Request) -> Response:
        """This answer as ``request`` accepts it: 304 if it holds it already, gzipped if
        it accepts gzip."""
        gzip = self.gzipped is not None and accepts_gzip(request.headers.get("accept-encoding"))
        etag = self.etag[:-1] + '-gzip"' if gzip else self.etag
        headers = {"etag": etag}
        if self.gzipped is not None:
            headers["vary"] = "Accept-Encoding"
        if _matches(request.headers.get("if-none-match"), self.etag):
            return Response(status_code=304, headers=headers)
        if gzip:
            assert self.gzipped is not None
            headers["content-encoding"] = "gzip"
            return Response(self.gzipped, headers=headers, media_type="application/json")
        return Response(self.body, headers=headers, media_type="application/json")


def accepts_gzip(header: str | None) -> bool:
    """Whether an ``Accept-Encoding`` value takes gzip (``gzip;q=0`` refuses it)."""
    if not header:
        return False
    for part in header.split(","):
        name, _, params = part.partition(";")
        if name.strip().lower() not in ("gzip", "x-gzip", "*"):
            continue
        q = params.strip().lower()
        if q.startswith("q="):
            try:
                return float(q[2:]) > 0
            except ValueError:
                return False
        return True
    return False


def _matches(if_none_match: str | None, etag: str) -> bool:
    if not if_none_match:
        return False
    opaque = etag.strip('"')
    for tag in if_none_match.split(","):
        tag = tag.strip().removeprefix("W/").strip('"')
        if tag in ("*", opaque, f"{opaque}-gzip"):
            return True
    return False


class KeptAnswers:
    def __init__(self, max_bytes: int = MAX_BYTES, seconds: float = KEEP_SECONDS) -> None:
        self.max_bytes = max_bytes
        self.seconds = seconds
        self._answers: OrderedDict[Hashable, KeptAnswer] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()
        self._refreshing: set[Hashable] = set()

    def get(self, key: Hashable) -> KeptAnswer | None:
        """The kept answer if it still holds (see the module's docstring)."""
        kept = self._answers.get(key)
        if kept is None:
            return None
        if kept.generation != changes.generation() or kept.until <= time.monotonic():
            return None
        return kept

    def refresh_due(self, key: Hashable, kept: KeptAnswer) -> bool:
        """True once (until ``refreshed``) when ``kept`` is past half its age bound: the
        caller then builds it again in the background."""
        if kept.refresh_at > time.monotonic():
            return False
        with self._lock:
            if key in self._refreshing:
                return False
            self._refreshing.add(key)
            return True

    def refreshed(self, key: Hashable) -> None:
        with self._lock:
            self._refreshing.discard(key)

    def keep(self, key: Hashable, body: bytes, generation: int) -> KeptAnswer:
        """Keeps ``body``, built from rows read after ``changes.generation()`` was
        ``generation``; an answer whose bytes did not change keeps its gzip copy."""
        etag = '"' + hashlib.blake2b(body, digest_size=16).hexdigest() + '"'
        old = self._answers.get(key)
        if old is not None and old.etag == etag:
            gzipped = old.gzipped
        elif len(body) >= GZIP_MIN_BYTES:
            packer = zlib.compressobj(6, zlib.DEFLATED, 31)  # 31: a gzip member
            gzipped = packer.compress(body) + packer.flush()
        else:
            gzipped = None
        now = time.monotonic()
        kept = KeptAnswer(
            body, gzipped, etag, generation, now + self.seconds, now + self.seconds / 2
        )
        if kept.size > self.max_bytes // 4:
            return kept
        with self._lock:
            old = self._answers.pop(key, None)
            self._bytes -= old.size if old is not None else 0
            # Answers past their age bound are never served again: dropped, so a
            # long-running server holds only the last second's (bench ``soak``). Kept in
            # the order they were kept, so the stale ones are the first.
            while self._answers:
                first = next(iter(self._answers.values()))
                if first.until > now and self._bytes + kept.size <= self.max_bytes:
                    break
                self._bytes -= self._answers.popitem(last=False)[1].size
            self._answers[key] = kept
            self._bytes += kept.size
        return kept

    @property
    def kept_bytes(self) -> int:
        return self._bytes

    def clear(self) -> None:
        with self._lock:
            self._answers.clear()
            self._refreshing.clear()
            self._bytes = 0
