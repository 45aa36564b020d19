"""Consistent stand-ins for personal values: one original, one pseudonym, everywhere.

Pseudonyms are keyed by a random secret made for each capture and never written, so a
pseudonym cannot be turned back into its original by trying candidates (an 11-digit
DSID would otherwise fall to a brute force). Each keeps its original's length and
character classes (upper, lower, digit, the rest kept), so length classes, formats and
structure survive; a letter outside ASCII (a Cyrillic or CJK name) becomes another letter
of its own Unicode block and case, so the script survives and the name does not;
e-mail addresses become ``…@example.com``.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import string
from collections import Counter
from dataclasses import dataclass, field
from functools import cache

EMAIL_DOMAIN = "example.com"
_UPPER, _LOWER, _DIGITS = string.ascii_uppercase, string.ascii_lowercase, string.digits
_HEX = set(string.hexdigits + "-")
# One shift for every date of a capture: whole days, so calendar dates stay coherent.
_MIN_SHIFT_DAYS, _MAX_SHIFT_DAYS = 30, 400


@dataclass
class Pseudonyms:
    key: bytes = field(default_factory=lambda: secrets.token_bytes(32), repr=False)
    shift_days: int = field(
        default_factory=lambda: -(_MIN_SHIFT_DAYS + secrets.randbelow(_MAX_SHIFT_DAYS))
    )
    mapping: dict[str, str] = field(default_factory=dict, repr=False)
    # Every value this capture wrote in place of an original (the scan's allow-list).
    produced: set[str] = field(default_factory=set, repr=False)
    # Originals that must not appear in the output (secrets dropped, values replaced).
    originals: set[str] = field(default_factory=set, repr=False)
    # Values kept on purpose somewhere (protocol): the same text elsewhere is no leak.
    kept: set[str] = field(default_factory=set, repr=False)
    summary: Counter[str] = field(default_factory=Counter)

    @property
    def shift_ms(self) -> int:
        return self.shift_days * 86_400_000

    def _stream(self, value: str, salt: str = "") -> bytes:
        digest = b""
        counter = 0
        while len(digest) < max(len(value), 32):
            block = f"{salt}:{counter}:{value}".encode()
            digest += hmac.new(self.key, block, hashlib.sha256).digest()
            counter += 1
        return digest

    def _remember(self, category: str, original: str, made: str) -> str:
        if original not in self.mapping:
            self.summary[category] += 1
        self.mapping[original] = made
        self.produced.add(made)
        self.originals.add(original)
        return made

    def shaped(self, value: str, category: str) -> str:
        """Same length and character classes (hex stays hex); the same for the same value."""
        known = self.mapping.get(value)
        if known is not None:
            return known
        made = value
        for attempt in range(8):  # a stand-in equal to its original is drawn again
            made = self._shape(value, self._stream(value, f"shape{attempt}"))
            if made != value or len(value) < 4:
                break
        return self._remember(category, value, made)

    @staticmethod
    def _shape(value: str, stream: bytes) -> str:
        hexish = len(value) >= 8 and set(value) <= _HEX and any(c.isalpha() for c in value)
        hex_pool = "0123456789ABCDEF" if value.upper() == value else "0123456789abcdef"
        out = []
        for char, byte in zip(value, stream, strict=False):
            if hexish and char in string.hexdigits:
                out.append(hex_pool[byte % 16])
            elif char in _UPPER:
                out.append(_UPPER[byte % 26])
            elif char in _LOWER:
                out.append(_LOWER[byte % 26])
            elif char in _DIGITS:
                out.append(_DIGITS[byte % 10])
            elif char.isalpha() and not char.isascii():
                pool = _letters_like(char)
                out.append(pool[byte % len(pool)])
            else:
                out.append(char)
        return "".join(out)

    def email(self, value: str) -> str:
        known = self.mapping.get(value)
        if known is not None:
            return known
        local = self._stream(value, "email").hex()[:10]
        return self._remember("email address", value, f"user-{local}@{EMAIL_DOMAIN}")

    def filename(self, value: str) -> str:
        """The stem replaced, the extension kept (it says the type)."""
        stem, dot, extension = value.rpartition(".")
        if not dot or not stem or len(extension) > 5:
            return self.shaped(value, "file name")
        known = self.mapping.get(value)
        if known is not None:
            return known
        made = f"{self.shaped(stem, 'file name')}.{extension}"
        return self._remember("file name", value, made)

    def secret(self, value: str, category: str) -> str:
        """A secret's stand-in says what it was, never anything of it but its length."""
        if not value:
            return value
        known = self.mapping.get(value)
        if known is not None:
            return known
        made = f"REDACTED-{len(value)}"
        self.summary[category] += 1
        self.mapping[value] = made
        self.produced.add(made)
        self.originals.add(value)
        return made

    def raw_bytes(self, data: bytes, salt: str) -> bytes:
        """Generated bytes of the same length (for undecodable encrypted fields)."""
        stream = self._stream(data.hex(), salt)
        while len(stream) < len(data):
            stream += self._stream(stream.hex(), salt)
        return stream[: len(data)]


@cache
def _letters_like(char: str) -> str:
    """The letters of ``char``'s 256-code-point block with its case (Cyrillic stays
    Cyrillic, kana stays kana): a stand-in of the same script and UTF-8 length."""
    block = ord(char) & ~0xFF
    same = "".join(
        c
        for c in map(chr, range(block, block + 0x100))
        if c.isalpha()
        and c.isupper() == char.isupper()
        and c.islower() == char.islower()
        and len(c.encode()) == len(char.encode())
    )
    return same or char
