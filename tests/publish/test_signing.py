"""Signed download links: bound to one result, expiring, tamper-evident."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest

from cloudtap.config import get_settings
from cloudtap.publish import signing
from cloudtap.publish.signing import check_signature, sign_download


def _parts(url: str) -> tuple[str, int, str]:
    parts = urlsplit(url)
    query = parse_qs(parts.query)
    return parts.path, int(query["expires"][0]), query["signature"][0]


def test_a_fresh_link_verifies() -> None:
    settings = get_settings()
    link = sign_download(settings, "result-1", "http://127.0.0.1:8000/")
    path, expires, signature = _parts(link.url)
    assert path == "/results/result-1/download"
    assert check_signature(settings, "result-1", expires, signature)


def test_links_are_bound_to_result_and_expiry() -> None:
    settings = get_settings()
    _, expires, signature = _parts(sign_download(settings, "result-1", "http://h").url)
    assert not check_signature(settings, "result-2", expires, signature)
    assert not check_signature(settings, "result-1", expires + 60, signature)
    assert not check_signature(settings, "result-1", expires, signature[:-2] + "AA")


def test_expired_links_fail() -> None:
    settings = get_settings()
    link = sign_download(settings, "result-1", "http://h", ttl_seconds=-3600)
    _, expires, signature = _parts(link.url)
    assert not check_signature(settings, "result-1", expires, signature)


def test_only_the_current_minutes_links_are_kept(monkeypatch: pytest.MonkeyPatch) -> None:
    settings = get_settings()
    now = [1_800_000_000.0]
    monkeypatch.setattr(signing.time, "time", lambda: now[0])
    first = [sign_download(settings, f"result-{n}", "http://h") for n in range(100)]
    assert sign_download(settings, "result-0", "http://h") is first[0]  # kept: reused
    now[0] += 60  # the next minute: every link asked for now has a later expiry
    later = sign_download(settings, "result-0", "http://h")
    assert later.expires > first[0].expires
    assert len(signing._KEPT_LINKS) == 1  # the dead ones went
