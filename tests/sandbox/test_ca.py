"""The sandbox CA: one CA kept on disk, per-host leaf certificates minted and cached."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec

from cloudtap.sandbox.ca import CertificateAuthority


def load_chain(path: Path) -> list[x509.Certificate]:
    return x509.load_pem_x509_certificates(path.read_bytes())


def test_ca_is_created_once_and_reused(tmp_path: Path) -> None:
    first = CertificateAuthority(tmp_path / "ca")
    second = CertificateAuthority(tmp_path / "ca")
    assert first.cert_file.read_bytes() == second.cert_file.read_bytes()
    key_mode = stat.S_IMODE((tmp_path / "ca" / "ca-key.pem").stat().st_mode)
    assert key_mode == 0o600
    ca = x509.load_pem_x509_certificate(first.cert_file.read_bytes())
    assert ca.extensions.get_extension_for_class(x509.BasicConstraints).value.ca is True


def test_leaf_is_signed_by_the_ca_for_its_host(tmp_path: Path) -> None:
    authority = CertificateAuthority(tmp_path / "ca")
    cert_path, key_path = authority.leaf_files("P61-CKDatabaseWS.icloud.com:443")
    leaf, ca = load_chain(cert_path)
    assert ca.subject == x509.load_pem_x509_certificate(authority.cert_file.read_bytes()).subject
    san = leaf.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert san.get_values_for_type(x509.DNSName) == ["p61-ckdatabasews.icloud.com"]
    assert leaf.issuer == ca.subject
    public_key = ca.public_key()
    assert isinstance(public_key, ec.EllipticCurvePublicKey)
    leaf.verify_directly_issued_by(ca)  # raises if the signature does not verify
    assert stat.S_IMODE(key_path.stat().st_mode) == 0o600


def test_leaves_are_cached_on_disk(tmp_path: Path) -> None:
    authority = CertificateAuthority(tmp_path / "ca")
    cert_path, _ = authority.leaf_files("idmsa.apple.com")
    before = cert_path.read_bytes()
    again = CertificateAuthority(tmp_path / "ca").leaf_files("idmsa.apple.com")[0]
    assert again.read_bytes() == before
    assert authority.server_context("idmsa.apple.com") is authority.server_context(
        "idmsa.apple.com"
    )


@pytest.mark.parametrize("host", ["", "../etc/passwd", "a b", "x/y.com", "a..b"])
def test_hostile_host_names_are_refused(tmp_path: Path, host: str) -> None:
    with pytest.raises(ValueError):
        CertificateAuthority(tmp_path / "ca").leaf_files(host)
