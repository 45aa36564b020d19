"""Redaction of whole exchanges: headers, URLs (query strings), bodies (JSON, text,
binary), into the VCR cassette interactions the sandbox's replay accounts read."""

from __future__ import annotations

import json
import re
from typing import Any

from cloudtap.capture.pseudonyms import Pseudonyms
from cloudtap.capture.redact_json import JsonRedactor
from cloudtap.capture.redact_url import redact_url
from cloudtap.icloud.recorder import RecordedExchange

# Headers kept as they are (they carry protocol, not person).
KEPT_HEADERS = frozenset(
    {
        "accept",
        "accept-encoding",
        "content-type",
        "content-length",
        "content-encoding",
        "origin",
        "referer",
        "user-agent",
        "cache-control",
        "retry-after",
        "connection",
        "vary",
        "access-control-allow-origin",
        "access-control-allow-credentials",
        "strict-transport-security",
        "x-content-type-options",
        "server",
    }
)
# Headers whose value is a secret outright (the name is kept: clients act on it).
SECRET_HEADERS = frozenset({"cookie", "authorization", "scnt", "x-apple-session-token"})
# Size classes of generated binary content: the next power of two at or above the size.
_MIN_CLASS = 1024


def size_class(size: int) -> int:
    bound = _MIN_CLASS
    while bound < size:
        bound *= 2
    return bound


class ExchangeRedactor:
    def __init__(self, names: Pseudonyms) -> None:
        self.names = names
        self.json = JsonRedactor(names)

    def interaction(self, exchange: RecordedExchange) -> dict[str, Any]:
        request_type = _header(exchange.request_headers, "content-type")
        response_type = _header(exchange.response_headers, "content-type")
        return {
            "request": {
                "method": exchange.method,
                "uri": self.url(exchange.url),
                "headers": self.headers(exchange.request_headers),
                "body": self.body(exchange.request_body, request_type, exchange.url),
            },
            "response": {
                "status": {"code": exchange.status, "message": exchange.reason},
                "headers": self.headers(exchange.response_headers),
                "body": {"string": self.reply_body(exchange, response_type)},
            },
        }

    def url(self, url: str) -> str:
        return redact_url(url, self.names, self.json.string)

    def headers(self, headers: list[tuple[str, str]]) -> dict[str, list[str]]:
        out: dict[str, list[str]] = {}
        for name, value in headers:
            lower = name.lower()
            if lower in KEPT_HEADERS:
                kept = value
            elif lower == "set-cookie":
                kept = self._set_cookie(value)
            elif lower.startswith("x-apple-") and _protocol_value(value):
                kept = value
            elif lower in SECRET_HEADERS or lower.startswith("x-apple-"):
                kept = self.names.secret(value, f"header {lower}")
            elif lower == "location":
                kept = self.url(value)
            else:
                kept = self.json.string(value, name)
            out.setdefault(_title(name), []).append(kept)
        return out

    def _set_cookie(self, value: str) -> str:
        """The cookie's name and attributes kept (they are protocol), its value replaced."""
        first, _, attributes = value.partition(";")
        name, eq, cookie_value = first.partition("=")
        replaced = self.names.secret(cookie_value.strip('"'), "cookie") if eq else ""
        if replaced and cookie_value.startswith('"'):
            replaced = f'"{replaced}"'
        return f"{name}={replaced}" + (f";{attributes}" if attributes else "")

    def body(self, body: bytes, content_type: str, url: str) -> str:
        if not body:
            return ""
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError:
            return ""
        return self._text(text, content_type)

    def _text(self, text: str, content_type: str) -> str:
        try:
            document = json.loads(text)
        except ValueError:
            if "html" in content_type or "javascript" in content_type:
                # Apple's sign-in page: its boot arguments are JSON inside a script tag.
                self.names.summary["html page"] += 1
                return "<html><!-- page redacted by cloudtap capture --></html>"
            return self.json.string(text, "") if text.strip() else text
        return json.dumps(self.json.document(document), separators=(",", ":"))

    def reply_body(self, exchange: RecordedExchange, content_type: str) -> str | bytes:
        body = exchange.response_body
        textual = not content_type or any(
            kind in content_type for kind in ("json", "text", "javascript", "xml")
        )
        if body is not None and textual:
            try:
                return self._text(body.decode("utf-8"), content_type)
            except UnicodeDecodeError:
                pass
        # Media or any binary body: generated bytes of the same type and size class.
        size = exchange.body_size if body is None else len(body)
        self.names.summary["binary body"] += 1
        return generated_content(content_type, size_class(size) if size else 0)


def generated_content(content_type: str, size: int) -> bytes:
    """Bytes of ``size`` that start as the type's files start (so a sniffer agrees)."""
    magic = {
        "image/jpeg": b"\xff\xd8\xff\xe0\x00\x10JFIF\x00",
        "image/png": b"\x89PNG\r\n\x1a\n",
        "image/heic": b"\x00\x00\x00\x18ftypheic",
        "video/quicktime": b"\x00\x00\x00\x14ftypqt  ",
    }.get(content_type.split(";")[0].strip(), b"")
    if size <= len(magic):
        return magic[:size]
    return magic + bytes(size - len(magic))


def _protocol_value(value: str) -> bool:
    """An ``X-Apple-*`` value that is protocol (a flag, a mode, a country, a version,
    Apple's own URL), not an identifier or a token."""
    if re.fullmatch(r"[A-Za-z_]{1,24}|\d{1,3}(\.\d{1,3})?", value):
        return True
    return bool(re.fullmatch(r"https://[a-z.]*(icloud\.com|apple\.com)(\.cn)?/?", value))


def _header(headers: list[tuple[str, str]], name: str) -> str:
    return next((v for k, v in headers if k.lower() == name), "")


def _title(name: str) -> str:
    return "-".join(part[:1].upper() + part[1:] for part in name.split("-"))
