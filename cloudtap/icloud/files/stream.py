"""Streaming one file from Apple's content hosts, resuming with ``Range`` when cut off.

Bytes are never held whole: chunks are yielded as they arrive. A dropped transfer is
resumed from the last byte received (with backoff); a download URL that stopped working
(403/404/410) is refreshed through ``refresh_url``, once per stretch without progress.
The total is checked against the size Apple's record announced.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AbstractAsyncContextManager

import httpx

from cloudtap.icloud import errors
from cloudtap.icloud.client.apple import AppleClient
from cloudtap.icloud.connector import FileInfo
from cloudtap.icloud.locks import download_slot
from cloudtap.icloud.replies import retry_after
from cloudtap.icloud.retry import TRANSIENT_ERRORS, backoff_delay

MAX_RESUMES = 5  # breaks in a row without a single new byte
MAX_ATTEMPTS = 1000  # breaks in all, however much each one delivered
_URL_GONE = frozenset({403, 404, 410})


class _Incomplete(Exception):
    pass


class DownloadStream:
    def __init__(
        self,
        info: FileInfo,
        url: str,
        open_client: Callable[[], AbstractAsyncContextManager[AppleClient]],
        refresh_url: Callable[[AppleClient], Awaitable[str]] | None = None,
    ) -> None:
        self.info = info
        self._url = url
        self._open_client = open_client
        self._refresh_url = refresh_url

    @property
    def url(self) -> str:
        """Where the bytes are fetched from (until a refresh replaces it)."""
        return self._url

    def __repr__(self) -> str:
        return f"DownloadStream({self.info.file_id!r}, size={self.info.size})"

    async def iter_bytes(self, offset: int = 0) -> AsyncIterator[bytes]:
        if self.info.size == 0:
            return  # an empty file: nothing to fetch (Apple's Drive refuses to serve one)
        received = offset
        failures = attempts = 0
        refreshed = False
        async with self._open_client() as client, download_slot(client.session.apple_id):
            while True:
                attempt_start = received
                headers = {"Range": f"bytes={received}-"} if received else {}
                try:
                    async with client.http.stream("GET", self._url, headers=headers) as response:
                        if (
                            response.status_code in _URL_GONE
                            and self._refresh_url
                            and not refreshed
                        ):
                            refreshed = True
                            self._url = await self._refresh_url(client)
                            continue
                        if response.status_code == 416 and self.info.size == received:
                            break
                        if response.status_code not in (200, 206):
                            raise _status_error(response)
                        skip = received if (response.status_code == 200 and received) else 0
                        async for chunk in response.aiter_bytes():
                            if skip:
                                # The host ignored Range: drop what we already have.
                                dropped = min(skip, len(chunk))
                                chunk, skip = chunk[dropped:], skip - dropped
                                if not chunk:
                                    continue
                            received += len(chunk)
                            yield chunk
                    if self.info.size is not None and received < self.info.size:
                        raise _Incomplete()
                    break
                except (httpx.TransportError, _Incomplete) as exc:
                    if isinstance(exc, httpx.TransportError) and not isinstance(
                        exc, TRANSIENT_ERRORS
                    ):
                        raise
                    # Only breaks that made no progress count against the limit.
                    progressed = received > attempt_start
                    failures = 1 if progressed else failures + 1
                    # A URL that dies again after delivering bytes may be refreshed again.
                    refreshed = refreshed and not progressed
                    attempts += 1
                    if failures > MAX_RESUMES or attempts > MAX_ATTEMPTS:
                        raise errors.AppleUnavailable(
                            f"download kept breaking after {received} bytes"
                        ) from None
                    await asyncio.sleep(backoff_delay(failures - 1, base=0.2))
        if self.info.size is not None and received != self.info.size:
            raise errors.AppleUnavailable(
                f"downloaded {received} bytes but Apple announced {self.info.size}"
            )


def _status_error(response: httpx.Response) -> errors.ICloudError:
    status = response.status_code
    if status in (429, 503):
        # Retry-After goes with it: the job waits at least that long before trying again.
        return errors.RateLimited("Apple is throttling downloads", info=retry_after(response))
    if status in _URL_GONE:
        return errors.NotFound("Apple no longer serves this file")
    return errors.AppleUnavailable(f"download answered HTTP {status}")
