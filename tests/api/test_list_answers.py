"""``GET /polls``, ``GET /events`` and ``GET /results`` are written straight from the
objects they list, not validated and re-encoded through their response models (for a
page of 20 polls that cost more than building it): each answer is still exactly what
its response model would give, no key missing, added or changed."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from pydantic import BaseModel

from cloudtap.api.common import ListOut
from cloudtap.api.resources.events import EventOut
from cloudtap.api.resources.polls import PollOut
from cloudtap.api.resources.results import ResultOut
from tests.api.conftest import Tenant
from tests.api.helpers import create_poll, create_session, create_user
from tests.jobs.fake_connector import FakeConnector


def _as_the_model_gives(model: type[BaseModel], answer: dict[str, Any]) -> dict[str, Any]:
    dumped: dict[str, Any] = model.model_validate(answer).model_dump(mode="json")
    return dumped


def test_list_answers_are_what_their_response_models_give(
    client: TestClient, tenant: Tenant, worker: FakeConnector
) -> None:
    session = create_session(client, tenant, create_user(client, tenant)["id"])
    polls = [
        create_poll(client, tenant, session["id"], {"data_types": ["icpl.photos"]})
        for _ in range(2)
    ]
    pages: dict[str, type[BaseModel]] = {
        "/polls?limit=20": ListOut[PollOut],
        "/events?limit=20": ListOut[EventOut],
        f"/results?poll={polls[0]['id']}": ListOut[ResultOut],
    }
    for url, model in pages.items():
        answer = client.get(url, headers=tenant.headers)
        assert answer.status_code == 200, answer.text
        assert answer.headers["content-type"] == "application/json"
        page = answer.json()
        assert page["data"], url  # something real is listed
        assert page == _as_the_model_gives(model, page), url
    listed = client.get("/polls?limit=20", headers=tenant.headers).json()["data"]
    assert {p["id"] for p in listed} == {p["id"] for p in polls}
    assert all(p["results"]["data"][0]["signed_url"]["url"] for p in listed)


def test_listed_events_and_results_are_each_as_read_alone(
    client: TestClient, tenant: Tenant, worker: FakeConnector
) -> None:
    """Lists read plain rows, a read by id the object: the same item either way."""
    session = create_session(client, tenant, create_user(client, tenant)["id"])
    poll = create_poll(client, tenant, session["id"], {"data_types": ["icpl.photos"]})
    pages = {"events": "/events?limit=20", "results": f"/results?poll={poll['id']}"}
    for kind, url in pages.items():
        listed = client.get(url, headers=tenant.headers).json()["data"]
        assert listed, url
        for item in listed:
            alone = client.get(f"/{kind}/{item['id']}", headers=tenant.headers)
            assert alone.status_code == 200, alone.text
            # A signed link's expiry moves on at a minute's turn: its target must not.
            one, other = alone.json(), dict(item)
            link, listed_link = one.pop("signed_url", None), other.pop("signed_url", None)
            assert one == other
            if kind == "results":
                assert link["url"].split("?")[0] == listed_link["url"].split("?")[0]
