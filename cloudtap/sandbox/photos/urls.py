"""Download URLs of the content host, and the self-describing token inside them.

Like Apple's, a ``downloadURL`` is usable with no session (``${f}`` is a literal the
client fills in or sends as is). The token names the account (by dsid), database,
library source (or ``n``: a Notes attachment, by note index), asset position and
resource prefix, with a short check so a mangled URL is a 404 rather than someone
else's bytes.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import struct
from dataclasses import dataclass
from functools import lru_cache
from typing import Literal
from urllib.parse import quote

from cloudtap.sandbox.hosts import CONTENT, CONTENT_CN

# generated photo | replayed photo | note attachment | iCloud Drive file (by tree index)
# | shared album photo (sandbox.photos.shared_streams)
Source = Literal["g", "r", "n", "d", "s"]
_HEAD = struct.Struct(">BcBIB")
_VERSION = 1
_SOURCES: dict[bytes, Source] = {b"g": "g", b"r": "r", b"n": "n", b"d": "d", b"s": "s"}


@dataclass(frozen=True)
class ContentRef:
    dsid: str
    shared: bool  # database: shared (Shared Library zone) or private
    source: Source
    index: int
    code: int  # resources.PREFIXES index


def _check(body: bytes) -> bytes:
    return hashlib.blake2b(body, digest_size=6, person=b"cloudtap-cvws").digest()


def encode_token(ref: ContentRef) -> str:
    body = _HEAD.pack(_VERSION, ref.source.encode(), int(ref.shared), ref.index, ref.code)
    body += ref.dsid.encode()
    return base64.urlsafe_b64encode(body + _check(body)).decode().rstrip("=")


def decode_token(token: str) -> ContentRef | None:
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
    except (binascii.Error, ValueError):
        return None
    body, check = raw[:-6], raw[-6:]
    if len(body) <= _HEAD.size or _check(body) != check:
        return None
    version, source, shared, index, code = _HEAD.unpack(body[: _HEAD.size])
    if version != _VERSION or source not in _SOURCES:
        return None
    return ContentRef(
        dsid=body[_HEAD.size :].decode(errors="replace"),
        shared=bool(shared),
        source=_SOURCES[source],
        index=index,
        code=code,
    )


@lru_cache(maxsize=256)
def _quoted(text: str) -> str:
    return quote(text)  # a handful of container and zone names, on every listed resource


def download_url(ref: ContentRef, zone: str, container: str, china: bool, partition: int) -> str:
    host = CONTENT_CN if china else CONTENT
    token = encode_token(ref)
    return (
        f"https://{host}/B/{token}/${{f}}?o={token[:22]}&v=1&x=3&e=1900000000&fl="
        f"&ckc={_quoted(container)}&ckz={_quoted(zone)}&y=1&p={partition}&s={token[-12:]}"
    )
