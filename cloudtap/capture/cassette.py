"""Redacted interactions → a VCR cassette file (icloudpd's format, what the sandbox's
replay accounts read), written only after the scan passed, atomically, owner-only."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from cloudtap.capture.pseudonyms import Pseudonyms
from cloudtap.capture.redact_http import ExchangeRedactor
from cloudtap.capture.scan import UnsafeCapture, check
from cloudtap.icloud.recorder import RecordedExchange

CAPTURE_PREFIX = "capture_"
REDACTION_ATTEMPTS = 3  # fresh draws of pseudonyms and date shift before refusing
# libyaml's emitter when PyYAML was built with it: ten times faster on megabytes.
_DUMPER = getattr(yaml, "CSafeDumper", yaml.SafeDumper)


@dataclass(frozen=True)
class WrittenCapture:
    path: Path
    interactions: int
    summary: dict[str, int]  # what was redacted: category → distinct values


def redact_all(exchanges: Sequence[RecordedExchange], names: Pseudonyms) -> list[dict[str, Any]]:
    redactor = ExchangeRedactor(names)
    return [redactor.interaction(exchange) for exchange in exchanges]


def write_capture(
    exchanges: Sequence[RecordedExchange], path: Path, names: Pseudonyms | None = None
) -> WrittenCapture:
    """Redact, scan, then write; raises ``UnsafeCapture`` (and writes nothing) if the
    scan finds anything.

    Without ``names`` given, a capture the scan refuses is redacted again with fresh
    pseudonyms and a fresh date shift, up to ``REDACTION_ATTEMPTS`` times: a random
    pseudonym or a shifted date can equal another original value of the account by
    chance (one full-suite run met an 8-character one), which a new draw does not repeat;
    a real leak is found in every attempt and still refuses."""
    attempts = 1 if names is not None else REDACTION_ATTEMPTS
    for attempt in range(attempts):
        drawn = names or Pseudonyms()
        interactions = redact_all(exchanges, drawn)
        try:
            check(interactions, drawn)
        except UnsafeCapture:
            if attempt == attempts - 1:
                raise
            continue
        names = drawn
        break
    assert names is not None
    text = yaml.dump(
        {"interactions": interactions, "version": 1},
        Dumper=_DUMPER,
        sort_keys=False,
        allow_unicode=True,
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".capture-", suffix=".tmp")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(text)
        os.chmod(temporary, 0o600)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return WrittenCapture(path, len(interactions), dict(sorted(names.summary.items())))
