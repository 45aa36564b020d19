"""Guard against server-side request forgery through webhook URLs.

A webhook URL is the customer's, but the request leaves from *our* network, so a URL
naming a private, loopback, link-local or cloud-metadata address could reach services
that trust our network. We resolve the host at delivery time, refuse if *any* address is
forbidden, and connect to the exact address we checked (so DNS rebinding between the
check and the connection cannot swap in another one). Redirects are never followed.

``CLOUDTAP_WEBHOOK_ALLOW_HOSTS`` lists hosts or CIDRs that may be private anyway, for
local development and tests.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from urllib.parse import urlsplit

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
Resolver = Callable[[str, int], list[str]]

_BLOCKED_NETWORKS = [
    ipaddress.ip_network(n)
    for n in (
        "0.0.0.0/8",
        "10.0.0.0/8",
        "100.64.0.0/10",
        "127.0.0.0/8",
        "169.254.0.0/16",  # link-local, incl. cloud metadata 169.254.169.254
        "172.16.0.0/12",
        "192.0.0.0/24",
        "192.168.0.0/16",
        "198.18.0.0/15",
        "224.0.0.0/4",
        "240.0.0.0/4",
        "::/128",
        "::1/128",
        "fc00::/7",
        "fe80::/10",
        "ff00::/8",
    )
]
_BLOCKED_NAMES = {"localhost", "metadata.google.internal", "metadata", "instance-data"}


class UnsafeWebhookURL(ValueError):
    """The URL may not be delivered to; the message says why (safe to show the user)."""


@dataclass(frozen=True)
class SafeTarget:
    """A checked URL and the address to connect to instead of resolving again."""

    url: str
    scheme: str
    host: str
    port: int
    address: str


def _system_resolver(host: str, port: int) -> list[str]:
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


class WebhookURLGuard:
    def __init__(self, allow: Iterable[str] = (), resolver: Resolver | None = None) -> None:
        self._allowed_hosts: set[str] = set()
        self._allowed_networks: list[ipaddress.IPv4Network | ipaddress.IPv6Network] = []
        for entry in allow:
            try:
                self._allowed_networks.append(ipaddress.ip_network(entry, strict=False))
            except ValueError:
                self._allowed_hosts.add(entry.lower().rstrip("."))
        self._resolve = resolver or _system_resolver

    def check_syntax(self, url: str) -> tuple[str, str, int]:
        """Cheap checks at config time: scheme, host, port. Returns (scheme, host, port)."""
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https"):
            raise UnsafeWebhookURL("webhook URL must use http or https")
        if not parts.hostname:
            raise UnsafeWebhookURL("webhook URL has no host")
        if parts.username or parts.password:
            raise UnsafeWebhookURL("webhook URL must not carry credentials")
        try:
            port = parts.port or (443 if parts.scheme == "https" else 80)
        except ValueError as exc:
            raise UnsafeWebhookURL("webhook URL has an invalid port") from exc
        return parts.scheme, parts.hostname.lower().rstrip("."), port

    def check(self, url: str) -> SafeTarget:
        """Full check at delivery time: resolves and vets every address."""
        scheme, host, port = self.check_syntax(url)
        if host in self._allowed_hosts:
            addresses = self._addresses(host, port)
            return SafeTarget(url, scheme, host, port, addresses[0])
        if host in _BLOCKED_NAMES or host.endswith(".localhost"):
            raise UnsafeWebhookURL(f"webhook host {host!r} is not allowed")
        addresses = self._addresses(host, port)
        for address in addresses:
            ip = _parse_ip(address)
            if not self._ip_allowed(ip):
                raise UnsafeWebhookURL(
                    f"webhook host {host!r} resolves to a private or reserved address"
                )
        return SafeTarget(url, scheme, host, port, addresses[0])

    def _addresses(self, host: str, port: int) -> list[str]:
        try:
            literal = ipaddress.ip_address(host.strip("[]"))
        except ValueError:
            pass
        else:
            return [str(literal)]
        try:
            addresses = self._resolve(host, port)
        except OSError as exc:
            raise UnsafeWebhookURL(f"webhook host {host!r} does not resolve") from exc
        if not addresses:
            raise UnsafeWebhookURL(f"webhook host {host!r} does not resolve")
        return addresses

    def _ip_allowed(self, ip: IPAddress) -> bool:
        if any(ip in net for net in self._allowed_networks):
            return True
        if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
            return self._ip_allowed(ip.ipv4_mapped)
        return not any(ip in net for net in _BLOCKED_NETWORKS) and ip.is_global


def _parse_ip(address: str) -> IPAddress:
    return ipaddress.ip_address(address.split("%", 1)[0])
