"""A list's statements are prepared once per shape, not per request or per caller: two
organisations listing events, results and polls, with different filter values and
cursors, leave the same few shapes kept, and each sees only its own objects."""

from __future__ import annotations

from fastapi.testclient import TestClient

from cloudtap.store.listing import kept_list_shapes
from tests.api.conftest import Tenant
from tests.api.helpers import create_poll, create_session, create_user
from tests.jobs.fake_connector import FakeConnector


def _urls(poll_id: str, event_id: str) -> list[str]:
    return [
        "/events?limit=2",
        f"/events?limit=2&after_id={event_id}",
        f"/results?poll={poll_id}",
        "/polls?limit=20",
        "/polls?limit=20&requestor=user",
    ]


def test_list_shapes_are_kept_once_for_every_caller_and_value(
    client: TestClient, tenant: Tenant, other_tenant: Tenant, worker: FakeConnector
) -> None:
    seen: dict[str, dict[str, set[str]]] = {}
    first: dict[str, tuple[str, str]] = {}
    for caller in (tenant, other_tenant):
        session = create_session(client, caller, create_user(client, caller)["id"])
        poll = create_poll(client, caller, session["id"], {"data_types": ["icpl.photos"]})
        events = client.get("/events?limit=1", headers=caller.headers).json()["data"]
        first[caller.token] = (poll["id"], events[0]["id"])
    shapes = None
    for _ in range(2):
        for caller in (tenant, other_tenant):
            if caller is other_tenant and shapes is None:
                shapes = kept_list_shapes()  # after the first organisation's lists
            mine = seen.setdefault(caller.token, {})
            for url in _urls(*first[caller.token]):
                answer = client.get(url, headers=caller.headers)
                assert answer.status_code == 200, (url, answer.text)
                mine.setdefault(url.split("?")[0], set()).update(
                    item["id"] for item in answer.json()["data"]
                )
    # The other organisation's lists, and every later request, built nothing new.
    assert kept_list_shapes() == shapes
    ours, theirs = seen[tenant.token], seen[other_tenant.token]
    for path in ("/events", "/results", "/polls"):
        assert ours[path] and theirs[path], path
        assert not ours[path] & theirs[path], path
