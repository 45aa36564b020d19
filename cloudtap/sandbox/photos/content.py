"""``cvws.icloud-content.com``: the bytes behind every ``downloadURL`` the sandbox
advertises (Photos resources, Notes attachments, iCloud Drive files).

No session is needed (Apple's URLs are pre-signed; clients send only cookies). The
token in the path names the account and resource; the body is exactly the ``size``
the record announced, with ``Range`` support (206/416) and the record's
``fileChecksum`` as the ``ETag``.
"""

from __future__ import annotations

import asyncio
import hashlib
import re
from collections.abc import AsyncIterator

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response, StreamingResponse
from starlette.routing import Route
from starlette.types import ASGIApp

from cloudtap.sandbox.accounts.model import GeneratedLibrary, ReplayLibrary, SandboxAccount
from cloudtap.sandbox.app import register_host
from cloudtap.sandbox.hosts import CONTENT, CONTENT_CN
from cloudtap.sandbox.photos import generator, media
from cloudtap.sandbox.photos.records import checksum
from cloudtap.sandbox.photos.resources import PREFIXES
from cloudtap.sandbox.photos.urls import ContentRef, decode_token
from cloudtap.sandbox.services.content import drive, note_files
from cloudtap.sandbox.world import SandboxWorld

_RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")


class Blob:
    """One resolved download: its pieces (streamed, never joined) and its checksum."""

    def __init__(self, pieces: media.Pieces, etag: str) -> None:
        self.pieces = pieces
        self.etag = etag
        self.size = media.pieces_size(pieces)


def resolve(world: SandboxWorld, ref: ContentRef) -> Blob | None:
    account = world.account_by_dsid(ref.dsid)
    if account is not None and ref.source == "n":
        return _note_attachment(account, ref.index, ref.code)
    if account is not None and ref.source == "d":
        return _drive_file(account, ref.index)
    if account is not None and ref.source == "s" and 0 <= ref.code < len(PREFIXES):
        return _shared_photo(account, ref.index, PREFIXES[ref.code])
    if account is None or not account.photos_enabled or not 0 <= ref.code < len(PREFIXES):
        return None
    prefix = PREFIXES[ref.code]
    library = account.photos
    if ref.source == "g" and isinstance(library, GeneratedLibrary):
        from cloudtap.sandbox.photos.container import PRIMARY_ZONE, shared_zone_name

        seed = library.shared_library_seed if ref.shared else library.seed
        zone = shared_zone_name(seed) if ref.shared else PRIMARY_ZONE
        limit = library.shared_count if ref.shared else library.count
        # Purged assets (indices past the end) keep working URLs, like a stale CDN link.
        if ref.index >= limit + max(1, limit // 100):
            return None
        return _blob(generator.asset(seed, zone, ref.index), prefix)
    if ref.source == "r" and isinstance(library, ReplayLibrary):
        from cloudtap.sandbox.photos.replay import replay_blob

        found = replay_blob(library.cassette, ref.shared, ref.index, prefix)
        return None if found is None else Blob(*found)
    return None


def _blob(spec: generator.AssetSpec, prefix: str) -> Blob | None:
    res = spec.resource(prefix)
    if res is None:
        return None
    key = hashlib.blake2b(repr((spec.seed, spec.zone, spec.index, prefix)).encode()).digest()
    data = media.render_or_filler(
        res.media, res.width, res.height, res.size, key, f"{spec.filename} {prefix}"
    )
    return Blob(data, checksum("file", spec.seed, spec.zone, spec.index, prefix))


def _shared_photo(account: SandboxAccount, index: int, prefix: str) -> Blob | None:
    from cloudtap.sandbox.photos.shared_streams import stream_photo

    photo = stream_photo(account, index)
    return None if photo is None else _blob(photo.spec, prefix)


def _note_attachment(account: SandboxAccount, note_index: int, code: int) -> Blob | None:
    file = note_files.file_for(account.content, note_index, code)
    return None if file is None else Blob(note_files.pieces(file), file.checksum)


def _drive_file(account: SandboxAccount, index: int) -> Blob | None:
    node = drive.node_at(account.content, index)
    if node is None or node.kind != "FILE":
        return None
    return Blob(drive.pieces(account.content, node), node.checksum)


def _ranged(request: Request, blob: Blob) -> Response:
    size = blob.size
    headers = {
        "Accept-Ranges": "bytes",
        "ETag": f'"{blob.etag}"',
        "Access-Control-Allow-Origin": "https://www.icloud.com",
    }
    spec = request.headers.get("range")
    first, last, status = 0, size - 1, 200
    if spec:
        match = _RANGE.match(spec.strip().replace(" ", ""))
        if match is None or match.group(1) == match.group(2) == "":
            return Response(
                status_code=416, headers={**headers, "Content-Range": f"bytes */{size}"}
            )
        first_s, last_s = match.groups()
        if first_s == "":  # suffix: the last N bytes
            first, last = max(0, size - int(last_s)), size - 1
        else:
            first = int(first_s)
            last = min(int(last_s), size - 1) if last_s else size - 1
        if first >= size or first > last:
            return Response(
                status_code=416, headers={**headers, "Content-Range": f"bytes */{size}"}
            )
        status = 206
        headers["Content-Range"] = f"bytes {first}-{last}/{size}"
    headers["Content-Length"] = str(last - first + 1)
    if request.method == "HEAD":
        return Response(status_code=status, headers=headers, media_type="application/octet-stream")
    return StreamingResponse(
        _chunks(blob.pieces, first, last),
        status_code=status,
        headers=headers,
        media_type="application/octet-stream",
    )


async def _chunks(pieces: media.Pieces, first: int, last: int) -> AsyncIterator[bytes]:
    # The pieces are in memory already: no thread hop per chunk.
    for chunk in media.iter_range(pieces, first, last):
        yield chunk  # type: ignore[misc]  # a memoryview; the proxy writes it as is


def build_app(world: SandboxWorld) -> ASGIApp:
    async def download(request: Request) -> Response:
        ref = decode_token(request.path_params["token"])
        # Rendering a picture the first time takes milliseconds: off the event loop.
        blob = None if ref is None else await asyncio.to_thread(resolve, world, ref)
        if blob is None:
            return PlainTextResponse("Not Found", status_code=404)
        return _ranged(request, blob)

    async def not_found(request: Request) -> Response:
        return PlainTextResponse("Not Found", status_code=404)

    return Starlette(
        routes=[
            Route("/B/{token}/{name:path}", download, methods=["GET", "HEAD"]),
            Route("/{path:path}", not_found, methods=["GET", "HEAD", "POST"]),
        ]
    )


register_host(CONTENT, build_app)
register_host(CONTENT_CN, build_app)
