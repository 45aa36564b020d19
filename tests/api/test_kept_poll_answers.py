"""A settled poll's GET is answered from memory (``cloudtap.api.kept``): these check it
still changes the moment it must, and never reaches a caller who may not see it.

The kept answers' age bound is set very long here (``forever``), so that only what
these tests do can make an answer be built again, never the clock.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Hashable, Iterator
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import update

from cloudtap.api import kept
from cloudtap.api.kept import KeptAnswers, accepts_gzip
from cloudtap.api.resources import polls
from cloudtap.config import Settings
from cloudtap.publish.retention import expire_due_results
from cloudtap.store import changes
from cloudtap.store.accounts import issue_key
from cloudtap.store.db import transaction
from cloudtap.store.ids import utcnow
from cloudtap.store.models import Result
from tests.api.conftest import Tenant
from tests.api.helpers import create_poll, create_session, create_user
from tests.jobs.fake_connector import FILE_ID, FakeConnector

RICLOUD = {"User-Agent": "ricloud-py/3.2.0", "Accept-Encoding": "gzip, deflate", "Accept": "*/*"}
IDENTITY = {"Accept-Encoding": "identity"}


@pytest.fixture
def forever(monkeypatch: pytest.MonkeyPatch) -> Iterator[KeptAnswers]:
    answers = KeptAnswers(seconds=10**9)
    monkeypatch.setattr(polls, "answers", answers)
    yield answers


def settled_poll(client: TestClient, tenant: Tenant) -> dict[str, Any]:
    """A completed poll of info and one file (the worker fixture must be running)."""
    session = create_session(client, tenant, create_user(client, tenant)["id"])
    made = create_poll(client, tenant, session["id"], {"info_types": ["*"], "files": [FILE_ID]})
    assert made["state"] == "completed"
    return made


@pytest.fixture
def poll(client: TestClient, tenant: Tenant, worker: FakeConnector) -> dict[str, Any]:
    return settled_poll(client, tenant)


def _get(
    client: TestClient, tenant: Tenant, poll_id: str, headers: dict[str, str] | None = None
) -> Any:
    return client.get(f"/polls/{poll_id}", headers={**tenant.headers, **(headers or IDENTITY)})


def _states(client: TestClient, tenant: Tenant, poll_id: str) -> dict[str, str]:
    answer = _get(client, tenant, poll_id)
    assert answer.status_code == 200
    return {r["id"]: r["state"] for r in answer.json()["results"]["data"]}


def _poll_of(key: Hashable) -> object:
    assert isinstance(key, tuple)  # (database URL, organisation, environment, poll id, links)
    return key[3]


def _answered_from_memory(forever: KeptAnswers, poll_id: str) -> bool:
    return any(_poll_of(key) == poll_id and forever.get(key) for key in list(forever._answers))


def test_kept_answer_is_the_fresh_one_gzipped_for_ricloud(
    client: TestClient, tenant: Tenant, poll: dict[str, Any], forever: KeptAnswers
) -> None:
    fresh = _get(client, tenant, poll["id"])
    assert _answered_from_memory(forever, poll["id"])
    plain = _get(client, tenant, poll["id"])
    assert plain.content == fresh.content
    assert "content-encoding" not in plain.headers
    assert plain.headers["vary"] == "Accept-Encoding"

    raw = _get(client, tenant, poll["id"], RICLOUD)
    assert raw.headers["content-encoding"] == "gzip"
    assert raw.json() == fresh.json()  # decoded by the client, as requests does
    assert raw.headers["etag"] != plain.headers["etag"]  # one per representation

    # A client holding the answer is told it still holds.
    for etag in (plain.headers["etag"], raw.headers["etag"]):
        again = _get(client, tenant, poll["id"], {**IDENTITY, "If-None-Match": etag})
        assert again.status_code == 304 and again.content == b""
    other = _get(client, tenant, poll["id"], {**IDENTITY, "If-None-Match": '"other"'})
    assert other.status_code == 200 and other.content == fresh.content


def test_ack_through_the_api_shows_at_once(
    client: TestClient, tenant: Tenant, poll: dict[str, Any], forever: KeptAnswers
) -> None:
    before = _states(client, tenant, poll["id"])
    acked = next(iter(before))
    client.post(f"/results/{acked}/ack", content=b"null", headers=tenant.headers)
    assert _states(client, tenant, poll["id"])[acked] == "consumed"


def test_any_write_of_this_process_shows_at_once(
    client: TestClient,
    tenant: Tenant,
    poll: dict[str, Any],
    settings: Settings,
    forever: KeptAnswers,
) -> None:
    # A bulk UPDATE, as the retention sweeper makes: no ORM object, no API call.
    before = _states(client, tenant, poll["id"])
    assert _answered_from_memory(forever, poll["id"])
    with transaction(settings.database_url) as db:
        db.execute(update(Result).where(Result.poll_id == poll["id"]).values(state="consumed"))
    assert set(_states(client, tenant, poll["id"]).values()) == {"consumed"} != set(before.values())


def test_expired_results_leave_the_answer(
    client: TestClient,
    tenant: Tenant,
    poll: dict[str, Any],
    settings: Settings,
    forever: KeptAnswers,
) -> None:
    assert _states(client, tenant, poll["id"])
    expire_due_results(settings, now=utcnow() + timedelta(days=3650))
    assert _states(client, tenant, poll["id"]) == {}


def test_another_process_writing_shows_within_the_age_bound(
    client: TestClient,
    tenant: Tenant,
    poll: dict[str, Any],
    settings: Settings,
    forever: KeptAnswers,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    forever.seconds = kept.KEEP_SECONDS
    assert set(_states(client, tenant, poll["id"]).values()) == {"available"}
    # Not through this process's engine: nothing here sees the write happen.
    path = settings.database_url.split("///", 1)[1]
    with sqlite3.connect(path) as other:
        other.execute("UPDATE results SET state = 'consumed' WHERE poll_id = ?", (poll["id"],))
    later = time.monotonic() + kept.KEEP_SECONDS + 0.001
    monkeypatch.setattr(kept.time, "monotonic", lambda: later)
    assert set(_states(client, tenant, poll["id"]).values()) == {"consumed"}


def test_an_answer_past_half_its_age_is_built_again_in_the_background(
    client: TestClient,
    tenant: Tenant,
    poll: dict[str, Any],
    settings: Settings,
    forever: KeptAnswers,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    forever.seconds = kept.KEEP_SECONDS
    assert set(_states(client, tenant, poll["id"]).values()) == {"available"}
    path = settings.database_url.split("///", 1)[1]
    with sqlite3.connect(path) as other:  # unseen by this process, as above
        other.execute("UPDATE results SET state = 'consumed' WHERE poll_id = ?", (poll["id"],))
    halfway = time.monotonic() + kept.KEEP_SECONDS * 0.75
    monkeypatch.setattr(kept.time, "monotonic", lambda: halfway)
    # Still within the bound: the kept answer, while a new one is built.
    assert set(_states(client, tenant, poll["id"]).values()) == {"available"}
    for _ in range(200):
        if not forever._refreshing:
            break
        time.sleep(0.05)
    assert set(_states(client, tenant, poll["id"]).values()) == {"consumed"}


def test_links_follow_their_expiry_minute(
    client: TestClient,
    tenant: Tenant,
    poll: dict[str, Any],
    forever: KeptAnswers,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def links() -> set[str]:
        data = _get(client, tenant, poll["id"]).json()["results"]["data"]
        return {r["signed_url"]["date_expires"] for r in data}

    now = links()
    later = time.time() + 120
    monkeypatch.setattr(time, "time", lambda: later)
    assert links().isdisjoint(now)


def test_other_organisation_and_environment_get_404(
    client: TestClient,
    tenant: Tenant,
    other_tenant: Tenant,
    poll: dict[str, Any],
    settings: Settings,
    forever: KeptAnswers,
) -> None:
    with transaction(settings.database_url) as db:
        live = Tenant(tenant.organisation_id, issue_key(db, tenant.organisation_id, "live").token)
    assert _get(client, tenant, poll["id"], RICLOUD).status_code == 200
    for stranger in (other_tenant, live):
        assert _answered_from_memory(forever, poll["id"])  # kept, but not for them
        answer = _get(client, stranger, poll["id"], RICLOUD)
        assert answer.status_code == 404 and answer.json()["error"] == "not-found"


def test_a_deactivated_key_is_refused_though_the_answer_is_kept(
    client: TestClient, tenant: Tenant, poll: dict[str, Any], forever: KeptAnswers
) -> None:
    created = client.post("/keys", json={}, headers=tenant.headers).json()
    holder = Tenant(tenant.organisation_id, created["token"])
    assert _get(client, holder, poll["id"]).status_code == 200
    assert _answered_from_memory(forever, poll["id"])
    client.post(f"/keys/{created['id']}", json={"state": "deactivated"}, headers=tenant.headers)
    assert _get(client, holder, poll["id"]).status_code == 401


def test_a_deleted_session_takes_its_kept_polls(
    client: TestClient, tenant: Tenant, poll: dict[str, Any], forever: KeptAnswers
) -> None:
    assert _get(client, tenant, poll["id"]).status_code == 200
    deleted = client.delete(f"/sessions/{poll['session']}", headers=tenant.headers)
    assert deleted.status_code == 200
    assert _get(client, tenant, poll["id"]).status_code == 404


@pytest.mark.parametrize(
    ("header", "takes"),
    [
        ("gzip, deflate", True),
        ("deflate, GZIP;q=0.5", True),
        ("*", True),
        ("gzip;q=0", False),
        ("identity", False),
        ("br", False),
        (None, False),
    ],
)
def test_accepts_gzip(header: str | None, takes: bool) -> None:
    assert accepts_gzip(header) is takes


@pytest.mark.parametrize(
    ("statement", "rowcount", "watched"),
    [
        ("INSERT INTO results (id) VALUES (?)", 1, True),
        ('UPDATE "results" SET state=? WHERE results.id = ?', 1, True),
        ("UPDATE results SET state=? WHERE results.id = ?", 0, False),  # matched nothing
        ("DELETE FROM sessions WHERE sessions.id = ?", 1, True),  # cascades to polls
        ("INSERT OR REPLACE INTO keys (id) VALUES (?)", 1, True),
        ("INSERT INTO events (id) VALUES (?)", 1, False),
        ("SELECT * FROM results", 5, False),
    ],
)
def test_which_writes_move_the_generation(statement: str, rowcount: int, watched: bool) -> None:
    assert changes.writes_watched_rows(statement, rowcount) is watched


def test_answers_past_their_age_are_dropped_not_left_to_fill_the_bound() -> None:
    answers = KeptAnswers(seconds=0.0)  # every answer is stale as soon as it is kept
    for poll in range(50):
        answers.keep(("poll", poll), b"x" * 4096, changes.generation())
    assert answers.get(("poll", 0)) is None
    # Only the last one is held: the 49 stale ones went as new ones came.
    assert 0 < answers.kept_bytes < 2 * 4096 + 1024
