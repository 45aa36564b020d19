"""``source_type`` scopes bind ``POST /sources`` as they bind ``POST /sessions``."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import func, select

from cloudtap.config import Settings
from cloudtap.store.db import transaction
from cloudtap.store.models import Source
from tests.api.conftest import Tenant
from tests.api.helpers import create_user
from tests.api.test_permission_limits import grant, key_id, post_source


def _sources(settings: Settings) -> int:
    with transaction(settings.database_url) as db:
        return int(db.scalar(select(func.count()).select_from(Source)) or 0)


def test_a_key_limited_to_one_source_type_cannot_create_another(
    client: TestClient, tenant: Tenant, settings: Settings
) -> None:
    grant(client, tenant, {"source_type:icloud.*": []}, identifier=key_id(client, tenant))
    user = create_user(client, tenant)["id"]
    refused = post_source(client, tenant, user, "mock-1", type_="mocks.mock")
    assert refused.status_code == 403
    assert refused.json() == {
        "error": "missing-scope",
        "message": "This key's permissions do not include the scope source_type:mocks.mock.",
        "params": {"scope": "source_type:mocks.mock"},
    }
    assert _sources(settings) == 0
    assert post_source(client, tenant, user, "a@example.com").status_code == 201
