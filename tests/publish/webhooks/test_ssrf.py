from __future__ import annotations

from collections.abc import Callable

import pytest

from cloudtap.publish.webhooks.ssrf import UnsafeWebhookURL, WebhookURLGuard


def fixed(addresses: dict[str, list[str]]) -> Callable[[str, int], list[str]]:
    def resolve(host: str, port: int) -> list[str]:
        if host not in addresses:
            raise OSError("nxdomain")
        return addresses[host]

    return resolve


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1/hook",
        "http://10.1.2.3/",
        "http://172.20.0.1/",
        "http://192.168.1.1/",
        "http://169.254.169.254/latest/meta-data",
        "http://[::1]/",
        "http://[fe80::1]/",
        "http://[::ffff:127.0.0.1]/",
        "http://0.0.0.0/",
        "http://localhost/",
        "http://metadata.google.internal/",
        "http://rebind.example/",  # resolves to a private address
        "http://mixed.example/",  # one public, one private: refused
    ],
)
def test_private_and_reserved_targets_are_refused(url: str) -> None:
    guard = WebhookURLGuard(
        resolver=fixed(
            {"rebind.example": ["10.0.0.5"], "mixed.example": ["93.184.216.34", "127.0.0.1"]}
        )
    )
    with pytest.raises(UnsafeWebhookURL):
        guard.check(url)


def test_public_target_is_pinned_to_the_checked_address() -> None:
    guard = WebhookURLGuard(resolver=fixed({"hooks.example": ["93.184.216.34"]}))
    target = guard.check("https://hooks.example/webhooks/abc")
    assert (target.host, target.port, target.address) == ("hooks.example", 443, "93.184.216.34")


@pytest.mark.parametrize(
    "url", ["ftp://hooks.example/", "https:///nohost", "https://u:p@hooks.example/", "x"]
)
def test_malformed_urls_are_refused(url: str) -> None:
    with pytest.raises(UnsafeWebhookURL):
        WebhookURLGuard(resolver=fixed({})).check(url)


def test_allow_list_admits_hosts_and_cidrs() -> None:
    guard = WebhookURLGuard(
        allow=["127.0.0.1", "10.9.0.0/16", "dev.internal"],
        resolver=fixed({"dev.internal": ["192.168.5.5"]}),
    )
    assert guard.check("http://127.0.0.1:8080/h").address == "127.0.0.1"
    assert guard.check("http://10.9.3.4/h").address == "10.9.3.4"
    assert guard.check("http://dev.internal/h").address == "192.168.5.5"
    with pytest.raises(UnsafeWebhookURL):
        guard.check("http://10.8.0.1/h")


def test_unresolvable_host_is_refused() -> None:
    with pytest.raises(UnsafeWebhookURL):
        WebhookURLGuard(resolver=fixed({})).check("https://nowhere.example/")
