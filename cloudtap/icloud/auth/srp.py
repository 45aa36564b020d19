"""Apple's flavour of SRP-6a, on top of the ``srp`` package.

Apple uses SHA-256 over the 2048-bit RFC 5054 group, leaves the user name out of ``x``,
and feeds SRP a PBKDF2 key instead of the password: ``s2k`` derives it from the raw
SHA-256 digest of the password, ``s2k_fo`` from its hex digest. The same salt serves
PBKDF2 and SRP.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
from dataclasses import dataclass, field

# The pure-Python backend on purpose: Apple hashes the salt as the bytes it sent, and
# srp's OpenSSL backend turns the salt into a number first, dropping leading zero bytes,
# so one account in 256 could never sign in (pysrp PR #61, icloudpd PR #985). The cost
# is a few milliseconds of modular exponentiation per sign-in.
from srp import _pysrp as srp

# The srp package keeps these as module-wide switches; Apple's variant needs both.
srp.rfc5054_enable()
srp.no_username_in_x()

SUPPORTED_PROTOCOLS = ("s2k", "s2k_fo")
_EPHEMERAL_BYTES = 256  # what the pure-Python backend takes as the private ephemeral


class UnsupportedProtocol(ValueError):
    pass


def password_key(password: str, salt: bytes, iterations: int, protocol: str) -> bytes:
    digest = hashlib.sha256(password.encode("utf-8"))
    if protocol == "s2k":
        material = digest.digest()
    elif protocol == "s2k_fo":
        material = digest.hexdigest().encode("ascii")
    else:
        raise UnsupportedProtocol(protocol)
    return hashlib.pbkdf2_hmac("sha256", material, salt, iterations, 32)


@dataclass
class SrpProof:
    m1: str  # base64
    m2: str  # base64


@dataclass
class SrpClient:
    """One SRP exchange: ``a_public`` goes to signin/init, ``prove`` answers its challenge."""

    apple_id: str
    _a: bytes = field(default=b"", repr=False)

    def start(self) -> str:
        # The key is only known once init names salt and iterations, but ``A`` depends on
        # the ephemeral ``a`` alone: pick ``a`` here and reuse it in ``prove``.
        self._a = secrets.token_bytes(_EPHEMERAL_BYTES)
        user = srp.User(
            self.apple_id, b"", hash_alg=srp.SHA256, ng_type=srp.NG_2048, bytes_a=self._a
        )
        _, a_public = user.start_authentication()
        return base64.b64encode(a_public).decode("ascii")

    def prove(
        self, password: str, salt_b64: str, b_b64: str, iterations: int, protocol: str
    ) -> SrpProof:
        salt = base64.b64decode(salt_b64)
        key = password_key(password, salt, iterations, protocol)
        # Rebuild the user with the derived key and the same ephemeral secret ``a``.
        user = srp.User(
            self.apple_id, key, hash_alg=srp.SHA256, ng_type=srp.NG_2048, bytes_a=self._a
        )
        user.start_authentication()
        m1 = user.process_challenge(salt, base64.b64decode(b_b64))
        if m1 is None:
            raise ValueError("SRP safety check failed on the server's challenge")
        m2 = user.H_AMK
        return SrpProof(
            m1=base64.b64encode(m1).decode("ascii"), m2=base64.b64encode(m2).decode("ascii")
        )
