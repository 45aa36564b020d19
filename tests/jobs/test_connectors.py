"""Choosing a connector: the injected one, the sandbox's transport, or a clear failure."""

from __future__ import annotations

import pytest

from cloudtap.icloud.connector import TransportOptions
from cloudtap.jobs import connectors
from tests.jobs.fake_connector import FakeConnector


def test_injected_factory_wins() -> None:
    fake = FakeConnector()
    connectors.set_connector_factory(lambda env: fake)
    try:
        assert connectors.connector_for("sandbox") is fake
    finally:
        connectors.set_connector_factory(None)


def test_sandbox_keys_need_a_running_sandbox() -> None:
    connectors.set_sandbox_transport(None)
    with pytest.raises(connectors.ConnectorUnavailable) as failure:
        connectors.connector_for("sandbox")
    assert failure.value.code == "connector-unavailable"


def test_sandbox_and_live_differ_only_by_transport() -> None:
    transport = TransportOptions(proxy_url="http://127.0.0.1:1", ca_file="ca.pem")
    connectors.set_sandbox_transport(transport)
    try:
        sandbox = connectors.connector_for("sandbox")
        live = connectors.connector_for("live")
    finally:
        connectors.set_sandbox_transport(None)
    assert type(sandbox) is type(live)
    assert sandbox.transport == transport  # type: ignore[attr-defined]
    assert live.transport == TransportOptions()  # type: ignore[attr-defined]
