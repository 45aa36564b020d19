"""Download streaming at its HTTP edge: resume with Range, refresh a dead URL, check size.

The content host is an ``httpx.MockTransport`` (a test double of the network edge of our
own code); end-to-end downloads against the sandbox are in ``client/test_connector_sandbox``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable

import httpx
import pytest

from cloudtap.icloud import errors
from cloudtap.icloud.client.apple import AppleClient
from cloudtap.icloud.connector import FileInfo, TransportOptions
from cloudtap.icloud.files import stream as stream_module
from cloudtap.icloud.files.stream import DownloadStream
from cloudtap.icloud.session import AppleSession

BODY = bytes(range(256)) * 40  # 10 KiB


class _Cut(httpx.AsyncByteStream):
    """Sends ``data`` then drops the connection after ``cut`` bytes."""

    def __init__(self, data: bytes, cut: int | None) -> None:
        self.data, self.cut = data, cut

    async def __aiter__(self) -> AsyncIterator[bytes]:
        if self.cut is None:
            yield self.data
            return
        yield self.data[: self.cut]
        raise httpx.ReadError("connection reset")


def _content_host(
    log: list[str], cuts: list[int], gone: set[str] | None = None
) -> httpx.MockTransport:
    def handle(request: httpx.Request) -> httpx.Response:
        range_header = request.headers.get("Range", "bytes=0-")
        log.append(f"{request.url.path} {range_header}")
        if gone and request.url.path in gone:
            return httpx.Response(410)
        start = int(range_header.removeprefix("bytes=").split("-")[0])
        cut = cuts.pop(0) if cuts else None
        status = 206 if start else 200
        return httpx.Response(status, stream=_Cut(BODY[start:], cut))

    return httpx.MockTransport(handle)


def _factory(transport: httpx.MockTransport) -> Callable[[], AppleClient]:
    def make() -> AppleClient:
        client = AppleClient(TransportOptions(), AppleSession(apple_id="a@b.c"))
        client.http = httpx.AsyncClient(transport=transport)
        return client

    return make


@pytest.fixture(autouse=True)
def _no_backoff(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(stream_module, "backoff_delay", lambda *a, **k: 0)


def _info(size: int | None = len(BODY)) -> FileInfo:
    return FileInfo(file_id="icpl://x", size=size, extension="jpg")


async def test_broken_transfers_resume_where_they_stopped() -> None:
    log: list[str] = []
    download = DownloadStream(
        _info(), "https://cvws.icloud-content.com/B/x", _factory(_content_host(log, [1000, 3000]))
    )
    data = b"".join([chunk async for chunk in download.iter_bytes()])
    assert data == BODY
    assert log == ["/B/x bytes=0-", "/B/x bytes=1000-", "/B/x bytes=4000-"]


async def test_offset_starts_with_a_range_request() -> None:
    log: list[str] = []
    download = DownloadStream(_info(), "https://h/B/x", _factory(_content_host(log, [])))
    assert b"".join([c async for c in download.iter_bytes(512)]) == BODY[512:]
    assert log == ["/B/x bytes=512-"]


async def test_expired_url_is_refreshed_once() -> None:
    log: list[str] = []

    async def refresh(client: AppleClient) -> str:
        return "https://h/B/fresh"

    download = DownloadStream(
        _info(), "https://h/B/old", _factory(_content_host(log, [], gone={"/B/old"})), refresh
    )
    assert b"".join([c async for c in download.iter_bytes()]) == BODY
    assert log == ["/B/old bytes=0-", "/B/fresh bytes=0-"]


async def test_size_mismatch_is_an_error() -> None:
    download = DownloadStream(
        _info(len(BODY) - 1), "https://h/B/x", _factory(_content_host([], []))
    )
    with pytest.raises(errors.AppleUnavailable):
        _ = [c async for c in download.iter_bytes()]


async def test_breaks_without_progress_give_up() -> None:
    log: list[str] = []
    download = DownloadStream(_info(), "https://h/B/x", _factory(_content_host(log, [0] * 20)))
    with pytest.raises(errors.AppleUnavailable):
        _ = [c async for c in download.iter_bytes()]
    assert len(log) == stream_module.MAX_RESUMES + 1


async def test_breaks_with_progress_keep_going() -> None:
    log: list[str] = []
    download = DownloadStream(_info(), "https://h/B/x", _factory(_content_host(log, [100] * 50)))
    assert b"".join([c async for c in download.iter_bytes()]) == BODY
    assert len(log) == 51
