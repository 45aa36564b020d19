"""The sandbox's own certificate authority.

Clients trust one CA certificate (``ca.pem``); the proxy presents a leaf certificate per
Apple host name, minted on first use and cached on disk so restarts reuse them. Keys are
EC P-256: fast to generate, accepted by every TLS stack the clients use.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import ssl
import threading
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from cloudtap.config import SANDBOX_CA_CERT_FILE

CA_CERT_FILE = SANDBOX_CA_CERT_FILE
CA_KEY_FILE = "ca-key.pem"
LEAF_DIR = "hosts"
_CA_NAME = "cloudtap sandbox CA"
_VALIDITY = dt.timedelta(days=3650)
_LEAF_VALIDITY = dt.timedelta(days=397)  # what browsers accept for a leaf
_SAFE_HOST = re.compile(r"^[a-z0-9.-]{1,253}$")


class CertificateAuthority:
    """A CA kept in ``directory``; thread-safe leaf minting with a memory + disk cache."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self._lock = threading.Lock()
        self._contexts: dict[str, ssl.SSLContext] = {}
        directory.mkdir(parents=True, exist_ok=True)
        (directory / LEAF_DIR).mkdir(exist_ok=True)
        self._key, self._cert = self._load_or_create_ca()

    @property
    def cert_file(self) -> Path:
        return self.directory / CA_CERT_FILE

    def leaf_files(self, host: str) -> tuple[Path, Path]:
        """(cert chain, key) PEM files for ``host``, minting them if needed."""
        host = _normalise(host)
        cert_path = self.directory / LEAF_DIR / f"{host}.pem"
        key_path = self.directory / LEAF_DIR / f"{host}-key.pem"
        with self._lock:
            if not (cert_path.exists() and key_path.exists()):
                key, cert = self._mint_leaf(host)
                _write_private(key_path, _key_pem(key))
                chain = cert.public_bytes(serialization.Encoding.PEM)
                chain += self._cert.public_bytes(serialization.Encoding.PEM)
                cert_path.write_bytes(chain)
        return cert_path, key_path

    def server_context(self, host: str) -> ssl.SSLContext:
        """A server-side TLS context presenting ``host``'s leaf (cached per host)."""
        host = _normalise(host)
        context = self._contexts.get(host)
        if context is None:
            cert_path, key_path = self.leaf_files(host)
            context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
            context.load_cert_chain(cert_path, key_path)
            context.set_alpn_protocols(["http/1.1"])
            self._contexts[host] = context
        return context

    def _load_or_create_ca(self) -> tuple[ec.EllipticCurvePrivateKey, x509.Certificate]:
        cert_path, key_path = self.directory / CA_CERT_FILE, self.directory / CA_KEY_FILE
        if cert_path.exists() and key_path.exists():
            key = serialization.load_pem_private_key(key_path.read_bytes(), password=None)
            if not isinstance(key, ec.EllipticCurvePrivateKey):
                raise ValueError(f"{key_path} is not an EC key")
            return key, x509.load_pem_x509_certificate(cert_path.read_bytes())
        key = ec.generate_private_key(ec.SECP256R1())
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, _CA_NAME)])
        now = _now()
        cert = (
            x509.CertificateBuilder()
            .subject_name(name)
            .issuer_name(name)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(days=1))
            .not_valid_after(now + _VALIDITY)
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(
                x509.KeyUsage(
                    digital_signature=True,
                    content_commitment=False,
                    key_encipherment=False,
                    data_encipherment=False,
                    key_agreement=False,
                    key_cert_sign=True,
                    crl_sign=True,
                    encipher_only=False,
                    decipher_only=False,
                ),
                critical=True,
            )
            .add_extension(
                x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False
            )
            .sign(key, hashes.SHA256())
        )
        _write_private(key_path, _key_pem(key))
        cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
        return key, cert

    def _mint_leaf(self, host: str) -> tuple[ec.EllipticCurvePrivateKey, x509.Certificate]:
        key = ec.generate_private_key(ec.SECP256R1())
        now = _now()
        ca_ski = self._cert.extensions.get_extension_for_class(x509.SubjectKeyIdentifier)
        cert = (
            x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, host)]))
            .issuer_name(self._cert.subject)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(days=1))
            .not_valid_after(now + _LEAF_VALIDITY)
            .add_extension(x509.SubjectAlternativeName([x509.DNSName(host)]), critical=False)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
            .add_extension(
                x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ca_ski.value),
                critical=False,
            )
            .sign(self._key, hashes.SHA256())
        )
        return key, cert


def _normalise(host: str) -> str:
    host = host.split(":", 1)[0].strip().lower().rstrip(".")
    if not _SAFE_HOST.match(host) or ".." in host:
        raise ValueError(f"not a host name: {host!r}")
    return host


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _key_pem(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def _write_private(path: Path, data: bytes) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)
