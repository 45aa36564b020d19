"""An API app on a fresh database, organisations with keys, and a job consumer."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from fastapi.testclient import TestClient

from cloudtap.app import create_app
from cloudtap.config import Settings, get_settings
from cloudtap.jobs.connectors import set_connector_factory
from cloudtap.jobs.consumer import start_embedded_consumer, stop_consumer
from cloudtap.jobs.queue import forget_queues
from cloudtap.store.accounts import create_organisation, issue_key
from cloudtap.store.db import dispose_all, transaction
from cloudtap.store.migrate import upgrade
from tests.jobs.fake_connector import FakeConnector


@dataclass(frozen=True)
class Tenant:
    organisation_id: str
    token: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Token {self.token}"}


@pytest.fixture
def settings() -> Iterator[Settings]:
    settings = get_settings()
    upgrade(settings.database_url)
    yield settings
    forget_queues()
    dispose_all()


def make_tenant(settings: Settings, name: str) -> Tenant:
    with transaction(settings.database_url) as db:
        org = create_organisation(db, name)
        return Tenant(org.id, issue_key(db, org.id, "sandbox").token)


@pytest.fixture
def tenant(settings: Settings) -> Tenant:
    return make_tenant(settings, "Acme")


@pytest.fixture
def other_tenant(settings: Settings) -> Tenant:
    return make_tenant(settings, "Globex")


@pytest.fixture
def client(settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(settings), raise_server_exceptions=False) as test_client:
        yield test_client


@pytest.fixture
def fake_connector() -> Iterator[FakeConnector]:
    connector = FakeConnector()
    set_connector_factory(lambda _environment: connector)
    yield connector
    set_connector_factory(None)


@pytest.fixture
def worker(settings: Settings, fake_connector: FakeConnector) -> Iterator[FakeConnector]:
    """Runs jobs in this process, against the fake connector."""
    consumer = start_embedded_consumer(settings, workers=2)
    yield fake_connector
    stop_consumer(consumer)
