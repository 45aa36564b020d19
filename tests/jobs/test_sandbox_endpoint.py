"""Finding the deployment's one sandbox: configured, else published in the data dir."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from cloudtap.config import Settings, get_settings
from cloudtap.icloud.connector import TransportOptions
from cloudtap.jobs import connectors
from cloudtap.jobs.sandbox_endpoint import discover, endpoint_path, publish, withdraw


@pytest.fixture
def listening_url() -> Iterator[str]:
    """Something answering on loopback, as a running sandbox proxy would."""
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        yield f"http://127.0.0.1:{server.getsockname()[1]}"


def unused_url() -> str:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{probe.getsockname()[1]}"


def test_nothing_published_means_no_sandbox() -> None:
    assert discover(get_settings()) is None


def test_a_published_sandbox_is_found_and_withdrawn(tmp_path: Path, listening_url: str) -> None:
    settings = get_settings()
    publish(settings, listening_url, tmp_path / "ca.pem")
    assert discover(settings) == TransportOptions(
        proxy_url=listening_url, ca_file=str(tmp_path / "ca.pem")
    )
    withdraw(settings, "http://127.0.0.1:9999")  # someone else's: left alone
    assert discover(settings) is not None
    withdraw(settings, listening_url)
    assert discover(settings) is None


def test_a_file_left_by_a_killed_serve_is_ignored(tmp_path: Path) -> None:
    settings = get_settings()
    publish(settings, unused_url(), tmp_path / "ca.pem")
    assert discover(settings) is None


def test_the_configured_sandbox_wins_over_the_published_one(tmp_path: Path) -> None:
    settings = replace(
        get_settings(),
        sandbox_proxy_url="http://127.0.0.1:5555",
        sandbox_ca_file=tmp_path / "their-ca.pem",
    )
    publish(settings, "http://127.0.0.1:4321", tmp_path / "ca.pem")
    assert discover(settings) == TransportOptions(
        proxy_url="http://127.0.0.1:5555", ca_file=str(tmp_path / "their-ca.pem")
    )


def test_a_configured_sandbox_defaults_to_the_data_dirs_ca() -> None:
    settings = replace(get_settings(), sandbox_proxy_url="http://127.0.0.1:5555")
    found = discover(settings)
    assert found is not None and found.ca_file is not None
    assert Path(found.ca_file) == settings.data_dir / "sandbox" / "ca" / "ca.pem"


@pytest.mark.parametrize("body", ["", "{not json", "[]", '{"proxy_url": 5}'])
def test_a_garbled_endpoint_file_is_ignored(body: str) -> None:
    settings = get_settings()
    path = endpoint_path(settings)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(body)
    assert discover(settings) is None


def test_workers_route_sandbox_keys_to_the_published_sandbox(
    tmp_path: Path, listening_url: str
) -> None:
    settings: Settings = get_settings()
    connectors.set_sandbox_transport(None)
    with pytest.raises(connectors.ConnectorUnavailable) as failure:
        connectors.connector_for("sandbox")
    assert "CLOUDTAP_SANDBOX_PROXY_URL" in str(failure.value)
    publish(settings, listening_url, tmp_path / "ca.pem")
    connector = connectors.connector_for("sandbox")
    assert connector.transport.proxy_url == listening_url  # type: ignore[attr-defined]
