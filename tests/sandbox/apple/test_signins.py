"""The sign-in book: SRP exchanges, sign-ins, trust tokens, expiry."""

from __future__ import annotations

import pytest

from cloudtap.sandbox.apple import signins
from cloudtap.sandbox.apple.signins import PendingSrp, SignInBook
from cloudtap.sandbox.apple.srp_server import SrpChallenge, decoy_verifier


class Clock:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    fake = Clock()
    monkeypatch.setattr(signins.time, "time", fake)
    return fake


def pending(apple_id: str | None = "a@x") -> PendingSrp:
    challenge = SrpChallenge("a@x", decoy_verifier("s2k"), b"\x02" * 256)
    return PendingSrp(apple_id=apple_id, challenge=challenge, scnt="scnt-1")


def test_srp_exchange_is_taken_once(clock: Clock) -> None:
    book = SignInBook()
    key = book.add_srp(pending())
    assert book.take_srp(key) is not None
    assert book.take_srp(key) is None


def test_srp_exchange_expires(clock: Clock) -> None:
    book = SignInBook()
    key = book.add_srp(pending())
    clock.now += signins.SRP_TTL + 1
    assert book.take_srp(key) is None


def test_sign_in_found_by_token_session_id_or_scnt(clock: Clock) -> None:
    book = SignInBook()
    sign_in = book.start("A@X", "scnt-9")
    first = sign_in.token
    rotated = book.new_token(sign_in)
    assert book.by_token(first) is sign_in and book.by_token(rotated) is sign_in
    assert book.by_headers(sign_in.session_id, None) is sign_in
    assert book.by_headers("unknown", "scnt-9") is sign_in
    assert book.by_headers(None, None) is None
    clock.now += signins.SIGN_IN_TTL + 1
    assert book.by_token(rotated) is None


def test_end_sign_ins(clock: Clock) -> None:
    book = SignInBook()
    sign_in = book.start("a@x", "s")
    other = book.start("b@x", "t")
    book.end_sign_ins("A@X")
    assert book.by_token(sign_in.token) is None
    assert book.by_token(other.token) is other


def test_trust_tokens_are_per_account_and_expire(clock: Clock) -> None:
    book = SignInBook()
    token = book.issue_trust_token("a@x")
    assert book.trusts("A@X", ["other", token])
    assert not book.trusts("b@x", [token])
    assert not book.trusts("a@x", [123])  # type: ignore[list-item]  # junk from a client
    clock.now += signins.TRUST_TOKEN_TTL + 1
    assert not book.trusts("a@x", [token])


def test_revoke_trust(clock: Clock) -> None:
    book = SignInBook()
    token = book.issue_trust_token("a@x")
    book.revoke_trust("a@x")
    assert not book.trusts("a@x", [token])


def test_expired_entries_are_swept(clock: Clock) -> None:
    book = SignInBook()
    old = book.start("a@x", "s")
    clock.now += signins.SIGN_IN_TTL + signins._PRUNE_EVERY + 1
    book.start("b@x", "t")  # an insert sweeps
    assert old.session_id not in book._by_session_id
    assert old.token not in book._by_token
