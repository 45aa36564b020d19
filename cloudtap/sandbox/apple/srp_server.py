"""The server side of Apple's SRP-6a sign-in, built on pysrp.

Apple runs SRP-6a over SHA-256 and the 2048-bit RFC 5054 group, with the username left
out of ``x`` and a PBKDF2-stretched password: ``s2k`` stretches ``sha256(pw).digest()``,
``s2k_fo`` the hex digest. The same salt feeds PBKDF2 and SRP, so the verifier must be
made from a salt we choose; pysrp's own key maker draws a random one, hence ``gen_x``.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from functools import lru_cache
from typing import Literal

from srp import _pysrp

# Apple's flavour of SRP; these flags are module-wide in pysrp's pure-Python backend,
# which only the sandbox uses (clients load pysrp's ctypes backend with its own flags).
_pysrp.rfc5054_enable()
_pysrp.no_username_in_x()

Protocol = Literal["s2k", "s2k_fo"]
PROTOCOLS: tuple[Protocol, ...] = ("s2k", "s2k_fo")
ITERATIONS = 20064  # what Apple answers today
SALT_BYTES = 16


@dataclass(frozen=True)
class PasswordVerifier:
    salt: bytes
    verifier: bytes
    protocol: Protocol
    iterations: int = ITERATIONS


def stretched_password(password: str, salt: bytes, protocol: Protocol, iterations: int) -> bytes:
    digest = hashlib.sha256(password.encode("utf-8")).digest()
    material = digest.hex().encode() if protocol == "s2k_fo" else digest
    return hashlib.pbkdf2_hmac("sha256", material, salt, iterations, 32)


@lru_cache(maxsize=1024)
def password_verifier(secret_seed: str, password: str, protocol: Protocol) -> PasswordVerifier:
    """The stored verifier for an account: deterministic from a per-account seed."""
    salt = hashlib.sha256(f"cloudtap-sandbox-salt:{secret_seed}".encode()).digest()[:SALT_BYTES]
    return _verifier_for(salt, stretched_password(password, salt, protocol, ITERATIONS), protocol)


def decoy_verifier(protocol: Protocol) -> PasswordVerifier:
    """A verifier nobody knows the password of, so unknown accounts look like real ones."""
    return _verifier_for(os.urandom(SALT_BYTES), os.urandom(32), protocol)


def _verifier_for(salt: bytes, key: bytes, protocol: Protocol) -> PasswordVerifier:
    n, g = _pysrp.get_ng(_pysrp.NG_2048, None, None)
    x = _pysrp.gen_x(hashlib.sha256, salt, b"", key)
    return PasswordVerifier(
        salt=salt, verifier=_pysrp.long_to_bytes(pow(g, x, n)), protocol=protocol
    )


class SrpChallenge:
    """One signin/init → signin/complete exchange."""

    def __init__(self, account_name: str, stored: PasswordVerifier, a: bytes) -> None:
        self._verifier = _pysrp.Verifier(
            account_name,
            stored.salt,
            stored.verifier,
            a,
            hash_alg=_pysrp.SHA256,
            ng_type=_pysrp.NG_2048,
        )
        self.stored = stored
        salt, b = self._verifier.get_challenge()
        self.b: bytes | None = b if salt is not None else None

    def verify(self, m1: bytes, m2: bytes | None) -> bool:
        """True when the client proved knowledge of the password (M1, and M2 if sent)."""
        if self.b is None:
            return False
        expected_m2 = self._verifier.verify_session(m1)
        if expected_m2 is None:
            return False
        return m2 is None or m2 == expected_m2
