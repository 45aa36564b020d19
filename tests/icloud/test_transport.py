"""Building Apple clients: the TLS context is made once per trust configuration.

A new ``SSLContext`` loads the system trust store again (tens of milliseconds of CPU);
made per client it was half of the server's CPU in a files poll.
"""

from __future__ import annotations

import os
from pathlib import Path

from cloudtap.icloud.connector import TransportOptions
from cloudtap.icloud.transport import ssl_context
from cloudtap.sandbox.ca import CertificateAuthority


def _ca_file(directory: Path) -> Path:
    return CertificateAuthority(directory).cert_file


def test_one_context_serves_every_client_with_the_same_trust(tmp_path: Path) -> None:
    options = TransportOptions(ca_file=str(_ca_file(tmp_path)))
    assert ssl_context(options) is ssl_context(options)
    assert ssl_context(TransportOptions()) is ssl_context(TransportOptions())
    assert ssl_context(options) is not ssl_context(TransportOptions())


def test_a_replaced_ca_file_gets_a_new_context(tmp_path: Path) -> None:
    ca_file = _ca_file(tmp_path)
    first = ssl_context(TransportOptions(ca_file=str(ca_file)))
    stat = ca_file.stat()
    os.utime(ca_file, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000))
    assert ssl_context(TransportOptions(ca_file=str(ca_file))) is not first
