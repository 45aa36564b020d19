"""One guard for every outbound URL a tenant can set (webhooks, S3 endpoints).

A tenant's URL is theirs, but the request leaves from *our* network, so a URL naming a
private, loopback, link-local or cloud-metadata address could reach services that trust
our network (server-side request forgery). Two checks, one rule:

- at save, ``check_static``: the URL's shape, and a host that is a literal address or a
  well-known internal name must not be forbidden (no DNS: its answer could change);
- at connect, ``check``/``vet``: the host is resolved, *every* address must be allowed,
  and the connection goes to the exact address that was checked, so DNS rebinding
  between check and connection cannot swap in another one. Redirects are not followed.

``CLOUDTAP_OUTBOUND_ALLOW_HOSTS`` (or its older name ``CLOUDTAP_WEBHOOK_ALLOW_HOSTS``)
lists hosts or CIDRs the operator lets through anyway: local development, tests, an
on-premises MinIO.
"""

from __future__ import annotations

import ipaddress
import re
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
# Names that mean this machine or an internal network on common systems (/etc/hosts of
# Debian/Red Hat, mDNS, cloud internal DNS); resolving is left to connect time.
_BLOCKED_NAMES = {
    "localhost",
    "localhost.localdomain",
    "localhost4",
    "localhost4.localdomain4",
    "localhost6",
    "localhost6.localdomain6",
    "ip6-localhost",
    "ip6-loopback",
    "metadata.google.internal",
    "metadata",
    "instance-data",
}
_BLOCKED_SUFFIXES = (".localhost", ".localdomain", ".local", ".internal", ".home.arpa")
# What ``inet_aton`` reads as an IPv4 address: 1 to 4 parts, decimal, octal or hex.
_INET_ATON_FORM = re.compile(r"^(?:0x[0-9a-f]*|[0-9]+)(?:\.(?:0x[0-9a-f]*|[0-9]+)){0,3}$")
_NAT64 = ipaddress.ip_network("64:ff9b::/96")
_IPV4_COMPATIBLE = ipaddress.ip_network("::/96")


class UnsafeURL(ValueError):
    """The URL may not be reached; the message says why (safe to show the tenant)."""


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


def _literal(host: str) -> IPAddress | None:
    """The address ``host`` spells, read as resolvers read it: besides the usual forms,
    ``inet_aton``'s (``2130706433``, ``127.1``, ``0x7f.0.0.1``, ``0``)."""
    bare = host.strip("[]").split("%", 1)[0]
    try:
        return ipaddress.ip_address(bare)
    except ValueError:
        pass
    if _INET_ATON_FORM.match(bare.lower()):
        try:
            return ipaddress.IPv4Address(socket.inet_aton(bare))
        except OSError:
            return None
    return None


def _embedded_ipv4(ip: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 one carries (mapped, compatible, 6to4, NAT64, Teredo)."""
    if ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    if ip.sixtofour is not None:
        return ip.sixtofour
    if ip.teredo is not None:
        return ip.teredo[1]
    if ip in _NAT64 or (ip in _IPV4_COMPATIBLE and int(ip) > 1):
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    return None


class OutboundURLGuard:
    """``label`` names the URL in messages (e.g. "webhook URL", "S3 endpoint")."""

    label = "URL"

    def __init__(
        self,
        allow: Iterable[str] = (),
        resolver: Resolver | None = None,
        *,
        label: str | None = None,
    ) -> None:
        self._allowed_hosts: set[str] = set()
        self._allowed_networks: list[ipaddress.IPv4Network | ipaddress.IPv6Network] = []
        for entry in allow:
            try:
                self._allowed_networks.append(ipaddress.ip_network(entry, strict=False))
            except ValueError:
                self._allowed_hosts.add(entry.lower().rstrip("."))
        self._resolve = resolver or _system_resolver
        if label is not None:
            self.label = label

    def check_syntax(self, url: str) -> tuple[str, str, int]:
        """The URL's shape: scheme, host, port, no credentials. Returns them."""
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https"):
            raise UnsafeURL(f"{self.label} must use http or https")
        if not parts.hostname:
            raise UnsafeURL(f"{self.label} has no host")
        if parts.username or parts.password:
            raise UnsafeURL(f"{self.label} must not carry credentials")
        try:
            port = parts.port or (443 if parts.scheme == "https" else 80)
        except ValueError as exc:
            raise UnsafeURL(f"{self.label} has an invalid port") from exc
        return parts.scheme, parts.hostname.lower().rstrip("."), port

    def check_static(self, url: str) -> None:
        """At save: the shape, and no forbidden literal address or internal name."""
        _scheme, host, _port = self.check_syntax(url)
        if host in self._allowed_hosts:
            return
        self._refuse_name(host)
        literal = _literal(host)
        if literal is not None and not self._ip_allowed(literal):
            raise UnsafeURL(f"{self.label} names a private or reserved address")

    def check(self, url: str) -> SafeTarget:
        """At connect: resolves and vets every address; returns the one to connect to."""
        scheme, host, port = self.check_syntax(url)
        return SafeTarget(url, scheme, host, port, self.vet(host, port))

    def vet(self, host: str, port: int) -> str:
        """The address to connect to for ``host``, if every address it resolves to is
        allowed; raises :class:`UnsafeURL` otherwise."""
        host = host.lower().rstrip(".")
        if host in self._allowed_hosts:
            return self._addresses(host, port)[0]
        self._refuse_name(host)
        addresses = self._addresses(host, port)
        for address in addresses:
            if not self._ip_allowed(_parse_ip(address)):
                raise UnsafeURL(
                    f"{self.label} host {host!r} resolves to a private or reserved address"
                )
        return addresses[0]

    def _refuse_name(self, host: str) -> None:
        if host in _BLOCKED_NAMES or host.endswith(_BLOCKED_SUFFIXES):
            raise UnsafeURL(f"{self.label} host {host!r} is not allowed")

    def _addresses(self, host: str, port: int) -> list[str]:
        literal = _literal(host)
        if literal is not None:
            return [str(literal)]
        try:
            addresses = self._resolve(host, port)
        except OSError as exc:
            raise UnsafeURL(f"{self.label} host {host!r} does not resolve") from exc
        if not addresses:
            raise UnsafeURL(f"{self.label} host {host!r} does not resolve")
        return addresses

    def _ip_allowed(self, ip: IPAddress) -> bool:
        if any(ip in net for net in self._allowed_networks):
            return True
        if isinstance(ip, ipaddress.IPv6Address):
            embedded = _embedded_ipv4(ip)
            if embedded is not None:
                return self._ip_allowed(embedded)
        return not any(ip in net for net in _BLOCKED_NETWORKS) and ip.is_global


def _parse_ip(address: str) -> IPAddress:
    return ipaddress.ip_address(address.split("%", 1)[0])


def guard_for(allow: Iterable[str], label: str) -> OutboundURLGuard:
    """The guard with the operator's allow-list (``Settings.outbound_allow_hosts``)."""
    return OutboundURLGuard(allow, label=label)
