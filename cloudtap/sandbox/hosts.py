"""Apple's host names, as the sandbox serves them.

Service hosts follow Apple's ``pNN-<service>.icloud.com`` shape; the partition number
is per account, as on real iCloud, so clients must take URLs from ``webservices``.
"""

from __future__ import annotations

import re

IDMSA = "idmsa.apple.com"
SETUP = "setup.icloud.com"
SETUP_CN = "setup.icloud.com.cn"
CONTENT = "cvws.icloud-content.com"
CONTENT_CN = "cvws.icloud-content.com.cn"
WWW = "www.icloud.com"
WWW_CN = "www.icloud.com.cn"
GATEWAY = "gatewayws.icloud.com"

_SERVICE_HOST = re.compile(r"^p(?P<partition>\d+)-(?P<service>[a-z]+)\.icloud\.com(?P<cn>\.cn)?$")


def service_host(service: str, partition: int, china: bool = False) -> str:
    return f"p{partition:02d}-{service}.icloud.com" + (".cn" if china else "")


def service_url(service: str, partition: int, china: bool = False) -> str:
    return f"https://{service_host(service, partition, china)}:443"


def parse_service_host(host: str) -> str | None:
    """``p61-ckdatabasews.icloud.com`` → ``ckdatabasews``; ``None`` if not a service host."""
    match = _SERVICE_HOST.match(host)
    return match.group("service") if match else None


def every_sandbox_host() -> list[str]:
    """Fixed hosts the proxy must mint certificates for (service hosts are minted lazily)."""
    return [IDMSA, SETUP, SETUP_CN, CONTENT, CONTENT_CN, WWW, WWW_CN, GATEWAY]
