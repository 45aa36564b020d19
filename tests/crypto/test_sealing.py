from __future__ import annotations

import os

import pytest

from cloudtap.crypto.sealing import Sealed, Sealer, SealError
from cloudtap.crypto.tokens import hash_token, new_token, token_environment


def test_seal_round_trip_and_context_binding() -> None:
    sealer = Sealer(os.urandom(32))
    sealed = sealer.seal_json({"cookie": "secret-value"}, "session:1:state")
    assert b"secret-value" not in sealed.blob
    assert sealer.open_json(sealed, "session:1:state") == {"cookie": "secret-value"}
    with pytest.raises(SealError):
        sealer.open_json(sealed, "session:2:state")


def test_rotation_keeps_old_rows_readable() -> None:
    old, new = os.urandom(32), os.urandom(32)
    sealed = Sealer(old).seal(b"x", "ctx")
    rotated = Sealer(new, previous=(old,))
    assert rotated.open(sealed, "ctx") == b"x"
    assert rotated.seal(b"y", "ctx").key_id != sealed.key_id
    with pytest.raises(SealError):
        Sealer(new).open(sealed, "ctx")


def test_tamper_is_detected() -> None:
    sealer = Sealer(os.urandom(32))
    sealed = sealer.seal(b"payload", "ctx")
    flipped = bytearray(sealed.blob)
    flipped[-1] ^= 1
    with pytest.raises(SealError):
        sealer.open(Sealed(sealed.key_id, bytes(flipped)), "ctx")


def test_tokens_have_env_prefix_and_hash_is_not_the_token() -> None:
    token = new_token("sandbox")
    assert token_environment(token) == "sandbox"
    assert token_environment(new_token("live")) == "live"
    assert token_environment("nonsense") is None
    assert hash_token(token) != token and len(hash_token(token)) == 64
