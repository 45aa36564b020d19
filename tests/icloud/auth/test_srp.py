"""Our SRP client's proof checks out against an independently computed verifier."""

from __future__ import annotations

import base64
import hashlib
import secrets

import pytest

from cloudtap.icloud.auth.srp import SrpClient, password_key
from cloudtap.sandbox.apple import srp_server
from cloudtap.sandbox.apple.srp_server import Protocol

# RFC 5054 2048-bit group (the one Apple uses), g = 2.
N = int(
    "AC6BDB41324A9A9BF166DE5E1389582FAF72B6651987EE07FC3192943DB56050A37329CBB4A099ED8193E0757767A13DD52312AB4B03310D"
    "CD7F48A9DA04FD50E8083969EDB767B0CF6095179A163AB3661A05FBD5FAAAE82918A9962F0B93B855F97993EC975EEAA80D740ADBF4FF74"
    "7359D041D5C33EA71D281E446B14773BCA97B43A23FB801676BD207A436C6481F1D2B9078717461A5B9D32E688F87748544523B524B0D57D"
    "5EA77A2775D2ECFA032CFBDBF52FB3786160279004E57AE6AF874E7303CE53299CCC041C7BC308D82A5698F3A8D0C38271AE35F8E9DBFBB6"
    "94B5C803D89F7AE435DE236D525F54759B65E372FCD68EF20FA7111F9E4AFF73",
    16,
)
G = 2


def _bytes(n: int) -> bytes:
    return n.to_bytes((n.bit_length() + 7) // 8, "big")


def _h(*parts: bytes) -> bytes:
    return hashlib.sha256(b"".join(parts)).digest()


def _padded(n: int) -> bytes:
    return n.to_bytes(256, "big")


# Apple hashes the salt as the bytes it sent, leading zeros included (pysrp PR #61,
# icloudpd PR #985): an account whose salt starts with 0x00 — one in 256 — failed every
# sign-in while the client let its SRP backend turn the salt into a number and back.
SALTS = {
    "random": secrets.token_bytes(16),
    "leading-zero": b"\x00" + secrets.token_bytes(15),
    "two-leading-zeros": b"\x00\x00" + secrets.token_bytes(14),
}


@pytest.mark.parametrize("salt_kind", sorted(SALTS))
@pytest.mark.parametrize("protocol", ["s2k", "s2k_fo"])
def test_proof_matches_an_apple_style_server(protocol: str, salt_kind: str) -> None:
    apple_id, password = "someone@example.com", "correct horse"
    salt, iterations = SALTS[salt_kind], 1000
    key = password_key(password, salt, iterations, protocol)
    x = int.from_bytes(_h(salt, _h(b":" + key)), "big")  # no user name in x
    v = pow(G, x, N)

    client = SrpClient(apple_id)
    a_public = int.from_bytes(base64.b64decode(client.start()), "big")
    k = int.from_bytes(_h(_padded(N), _padded(G)), "big")
    b = secrets.randbelow(N - 2) + 1
    b_public = (k * v + pow(G, b, N)) % N
    proof = client.prove(
        password,
        base64.b64encode(salt).decode(),
        base64.b64encode(_bytes(b_public)).decode(),
        iterations,
        protocol,
    )

    u = int.from_bytes(_h(_padded(a_public), _padded(b_public)), "big")
    session_key = _h(_bytes(pow(a_public * pow(v, u, N), b, N)))
    hn, hg = _h(_bytes(N)), _h(_padded(G))
    m1 = _h(
        bytes(p ^ q for p, q in zip(hn, hg, strict=True)),
        _h(apple_id.encode()),
        salt,
        _bytes(a_public),
        _bytes(b_public),
        session_key,
    )
    assert base64.b64decode(proof.m1) == m1
    assert base64.b64decode(proof.m2) == _h(_bytes(a_public), m1, session_key)


def test_wrong_password_gives_another_proof() -> None:
    salt = base64.b64encode(b"0123456789abcdef").decode()
    b_public = base64.b64encode(_bytes(pow(G, 12345, N))).decode()
    client = SrpClient("someone@example.com")
    client.start()
    right = client.prove("pw", salt, b_public, 100, "s2k")
    wrong = client.prove("pw2", salt, b_public, 100, "s2k")
    assert right.m1 != wrong.m1


def test_s2k_and_s2k_fo_derive_different_keys() -> None:
    assert password_key("pw", b"salt", 10, "s2k") != password_key("pw", b"salt", 10, "s2k_fo")
    with pytest.raises(ValueError):
        password_key("pw", b"salt", 10, "plain")


@pytest.mark.parametrize("salt_kind", sorted(SALTS))
@pytest.mark.parametrize("protocol", ["s2k", "s2k_fo"])
def test_the_sandbox_server_accepts_the_proof(protocol: Protocol, salt_kind: str) -> None:
    """Our client and the sandbox's SRP server (pysrp's byte-keeping backend) agree."""
    apple_id, password, salt = "someone@example.com", "correct horse", SALTS[salt_kind]
    key = srp_server.stretched_password(password, salt, protocol, srp_server.ITERATIONS)
    stored = srp_server._verifier_for(salt, key, protocol)
    client = SrpClient(apple_id)
    challenge = srp_server.SrpChallenge(apple_id, stored, base64.b64decode(client.start()))
    assert challenge.b is not None
    proof = client.prove(
        password,
        base64.b64encode(salt).decode(),
        base64.b64encode(challenge.b).decode(),
        stored.iterations,
        protocol,
    )
    assert challenge.verify(base64.b64decode(proof.m1), base64.b64decode(proof.m2))
