"""Subscriptions: a poll every ``interval`` seconds between ``date_start`` and ``date_end``.

Each run is a huey job scheduled for its due time; it creates the poll and schedules the
next run. The subscription row records the run it expects next (``date_next_poll``), and
a queued run for any other time is dropped, so a deleted subscription, or a duplicate
chain left by a crash, simply dies out. State: ``pending → active → deleted``.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session as DbSession

from cloudtap.config import Settings, get_settings
from cloudtap.jobs.dispatch import enqueue_poll
from cloudtap.jobs.queue import task
from cloudtap.publish.events import emit
from cloudtap.store.db import on_commit, transaction
from cloudtap.store.ids import utcnow
from cloudtap.store.models import Poll, Session, Subscription
from cloudtap.wire.polls import serialize_poll

log = logging.getLogger(__name__)

# Sessions in these states will never poll again; their subscriptions stop.
_DEAD_SESSION_STATES = ("expired", "failed")


def due_stamp(when: datetime) -> str:
    return when.isoformat()


def schedule_run(settings: Settings, subscription_id: str, when: datetime) -> None:

    delay = max(0.0, (when - utcnow()).total_seconds())
    task(settings, "subscription").schedule(args=(subscription_id, due_stamp(when)), delay=delay)


def next_run_after(subscription: Subscription, now: datetime) -> datetime | None:
    """The next due time after a run at ``now``; None once past ``date_end``.

    Runs missed while the server was down are skipped, not caught up in a burst.
    """
    interval = timedelta(seconds=subscription.interval or 0)
    following = (subscription.date_next_poll or now) + interval
    if following <= now:
        following = now + interval
    if subscription.date_end is not None and following > subscription.date_end:
        return None
    return following


def _create_poll(db: DbSession, subscription: Subscription) -> Poll:
    poll = Poll(
        organisation_id=subscription.organisation_id,
        key_id=subscription.key_id,
        user_id=subscription.user_id,
        source_id=subscription.source_id,
        session_id=subscription.session_id,
        subscription_id=subscription.id,
        payload=dict(subscription.poll_payload or {}),
        errors=[],
    )
    db.add(poll)
    db.flush()
    emit(db, poll.organisation_id, poll.key_id, "poll", "created", serialize_poll(db, poll))
    return poll


def run_subscription(subscription_id: str, due: str) -> None:

    settings = get_settings()
    with transaction(settings.database_url) as db:
        subscription = db.scalars(
            select(Subscription).where(Subscription.id == subscription_id)
        ).first()
        if subscription is None or subscription.state == "deleted":
            return
        if subscription.date_next_poll is None or due_stamp(subscription.date_next_poll) != due:
            return  # a stale run: the subscription was rescheduled or stopped
        now = utcnow()
        following = next_run_after(subscription, now)
        # Claim this run with one conditional write before doing anything: the read above
        # is not a lock, so a DELETE (or a duplicate run) that committed since then makes
        # the claim match nothing, and no poll is made for a deleted subscription.
        claimed = db.execute(
            update(Subscription)
            .where(
                Subscription.id == subscription_id,
                Subscription.state != "deleted",
                Subscription.date_next_poll == subscription.date_next_poll,
            )
            .values(date_next_poll=following)
            .execution_options(synchronize_session=False)
        )
        if not getattr(claimed, "rowcount", 0):
            return
        session = db.scalars(select(Session).where(Session.id == subscription.session_id)).first()
        if session is None or session.state in _DEAD_SESSION_STATES:
            log.info("subscription %s stops: its session is gone or over", subscription_id)
            subscription.date_next_poll = None
            return
        if session.state == "active":
            poll = _create_poll(db, subscription)
            poll_id = poll.id
            on_commit(db, lambda: enqueue_poll(settings, poll_id))
            subscription.state, subscription.date_last_poll = "active", now
        if following is not None:
            when = following
            on_commit(db, lambda: schedule_run(settings, subscription_id, when))
