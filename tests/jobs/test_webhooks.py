"""The delivery job's pure parts: backoff with jitter, the body that gets signed."""

from __future__ import annotations

import json

from cloudtap.config import get_settings
from cloudtap.jobs.webhooks import MAX_ATTEMPTS, backoff_seconds, event_body
from cloudtap.store.ids import new_id, utcnow
from cloudtap.store.models import Event


def test_backoff_doubles_and_jitters_within_the_upper_half() -> None:
    base = get_settings().webhook_backoff_base_seconds
    for attempt in range(1, MAX_ATTEMPTS):
        nominal = base * 2 ** (attempt - 1)
        assert backoff_seconds(base, attempt, rng=lambda: 0.0) == nominal / 2
        assert backoff_seconds(base, attempt, rng=lambda: 1.0) == nominal
        assert nominal / 2 <= backoff_seconds(base, attempt) <= nominal
    # By default the five attempts spread over a few hours, as ricloud's did.
    longest = sum(backoff_seconds(base, n, rng=lambda: 1.0) for n in range(1, MAX_ATTEMPTS))
    assert 2 * 3600 <= longest <= 3 * 3600


def test_the_signed_body_is_the_event_without_delivery_bookkeeping() -> None:
    event = Event(
        id=new_id(),
        organisation_id=new_id(),
        key_id=None,
        type="poll",
        action="completed",
        data={"id": "p1", "resource": "poll"},
        state="pending",
        retries=2,
        attempts=[{"status_code": 500}],
        date_created=utcnow(),
    )
    body = json.loads(event_body(event))
    assert body["id"] == event.id and body["resource"] == "event"
    assert (body["type"], body["action"], body["data"]) == ("poll", "completed", event.data)
    assert "attempts" not in body
