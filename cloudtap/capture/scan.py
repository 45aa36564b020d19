"""The last check before a capture is written: anything in the redacted interactions
that looks like a secret or a personal value refuses the whole file.

Two kinds of finding. An original the redaction replaced (a cookie, a token, a name)
still present anywhere, in any encoding we can cheaply check (as is, URL-encoded,
JSON-escaped). And a value that *looks* personal or secret and that the redaction did
not make: an e-mail address outside ``example.com``, a phone number, a JSON web token,
a signed-URL parameter, a long high-entropy token.
"""

from __future__ import annotations

import json
import math
import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from cloudtap.capture.pseudonyms import EMAIL_DOMAIN, Pseudonyms

# Originals shorter than this are too common to look for as substrings ("1", "true").
MIN_ORIGINAL = 8
_EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}")
_PHONE = re.compile(r"\+\d[\d\s().-]{7,}\d")
_JWT = re.compile(r"eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}")
_SIGNED = re.compile(r"[?&](signature|Signature|X-Amz-Signature|Expires|e|token|t)=", re.I)
_TOKEN = re.compile(r"[A-Za-z0-9+_~-]{20,}")


@dataclass(frozen=True)
class Finding:
    where: str  # "interaction 3 response body"
    kind: str  # "original", "e-mail address", "token" ...
    sample: str  # its length only (``mask``): a refusal never repeats the value

    def __str__(self) -> str:
        return f"{self.where}: {self.kind} ({self.sample})"


class UnsafeCapture(Exception):
    def __init__(self, findings: list[Finding]) -> None:
        self.findings = findings
        shown = "; ".join(str(f) for f in findings[:5])
        more = f" (and {len(findings) - 5} more)" if len(findings) > 5 else ""
        super().__init__(f"the capture was not written: {shown}{more}")


def mask(value: str) -> str:
    """What a finding says of the value: its length, never any of it."""
    return f"{len(value)} characters"


def entropy(text: str) -> float:
    counts = Counter(text)
    return -sum(n / len(text) * math.log2(n / len(text)) for n in counts.values())


def scan(interactions: list[dict[str, Any]], names: Pseudonyms) -> list[Finding]:
    findings: list[Finding] = []
    needles = _by_prefix(_needles(names))
    # Everything the redaction made, in one string: "made by us?" is one substring search.
    made = "\x00".join(names.produced)
    for index, interaction in enumerate(interactions):
        for where, text in _texts(interaction):
            label = f"interaction {index} {where}"
            findings += _originals(label, text, needles)
            findings += _looks(label, text, names, made)
    return findings


def check(interactions: list[dict[str, Any]], names: Pseudonyms) -> None:
    findings = scan(interactions, names)
    if findings:
        raise UnsafeCapture(findings)


def _needles(names: Pseudonyms) -> dict[str, str]:
    needles: dict[str, str] = {}
    for original in names.originals:
        if len(original) < MIN_ORIGINAL or original in names.produced or original in names.kept:
            continue
        if original.isalpha():
            continue  # a word ("Documents", "HistoryVisit") also names protocol: keys, cookies
        for form in (original, quote(original, safe=""), json.dumps(original)[1:-1]):
            needles[form] = original
    return needles


def _texts(interaction: dict[str, Any]) -> Iterator[tuple[str, str]]:
    for side in ("request", "response"):
        part = interaction.get(side, {})
        if "uri" in part:
            yield f"{side} uri", str(part["uri"])
        for name, values in (part.get("headers") or {}).items():
            for value in values:
                yield f"{side} header {name}", f"{name}: {value}"
        body = part.get("body")
        if isinstance(body, dict):
            body = body.get("string")
        if isinstance(body, str) and body:
            yield f"{side} body", body


Needles = dict[str, list[tuple[str, str]]]


def _by_prefix(needles: dict[str, str]) -> Needles:
    """Needles by their first ``MIN_ORIGINAL`` characters: one dictionary look-up per
    position of a text finds every candidate (tens of thousands of originals, megabytes
    of text: a search per needle would take minutes)."""
    out: Needles = {}
    for form, original in needles.items():
        out.setdefault(form[:MIN_ORIGINAL], []).append((form, original))
    return out


def _originals(label: str, text: str, needles: Needles) -> list[Finding]:
    hits: set[str] = set()
    for start in range(len(text) - MIN_ORIGINAL + 1):
        candidates = needles.get(text[start : start + MIN_ORIGINAL])
        if candidates:
            hits |= {orig for form, orig in candidates if text.startswith(form, start)}
    return [Finding(label, "an original value", mask(original)) for original in sorted(hits)]


def _looks(label: str, text: str, names: Pseudonyms, made: str) -> list[Finding]:
    found: list[Finding] = []
    for match in _EMAIL.finditer(text):
        if not match.group().endswith(f"@{EMAIL_DOMAIN}") and match.group() not in names.produced:
            found.append(Finding(label, "an e-mail address", mask(match.group())))
    for match in _PHONE.finditer(text):
        if match.group() not in made:
            found.append(Finding(label, "a phone number", mask(match.group())))
    for match in _JWT.finditer(text):
        found.append(Finding(label, "a JSON web token", mask(match.group())))
    if label.endswith("uri") and _SIGNED.search(text):
        found.append(Finding(label, "a signed-URL parameter", _SIGNED.search(text).group()))  # type: ignore[union-attr]
    for match in _TOKEN.finditer(text):
        token = match.group()
        if _token_like(token) and token not in made:
            found.append(Finding(label, "a token-like value", mask(token)))
    return found


def _token_like(token: str) -> bool:
    core = token.strip("=:.-~_/")
    has_digit = any(c.isdigit() for c in core)
    has_alpha = any(c.isalpha() for c in core)
    mixed_case = any(c.isupper() for c in core) and any(c.islower() for c in core)
    return len(core) >= 20 and has_digit and has_alpha and mixed_case and entropy(core) >= 4.0
