"""Deleting a user or a session and everything below it, reporting what went."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import ColumnElement, delete, or_, select
from sqlalchemy.orm import Session as DbSession

from cloudtap.store.models import Event, Poll, Result, Session, Source, Subscription, Task, User


@dataclass
class Removed:
    counts: dict[str, int] = field(default_factory=dict)
    # (storage, location, storage config id) of every stored result file, for the
    # publisher to delete.
    result_locations: list[tuple[str, str, str | None]] = field(default_factory=list)


def _delete_polls_of_sessions(db: DbSession, session_ids: list[str], removed: Removed) -> None:
    poll_ids = list(db.scalars(select(Poll.id).where(Poll.session_id.in_(session_ids))))
    task_ids = list(db.scalars(select(Task.id).where(Task.poll_id.in_(poll_ids))))
    results = db.execute(
        select(Result.storage, Result.location, Result.storage_config_id).where(
            Result.task_id.in_(task_ids)
        )
    ).all()
    removed.result_locations.extend((row[0], row[1], row[2]) for row in results)
    # Poll, task and result events of these sessions (session events stay with the session).
    _delete_events(
        db,
        removed,
        _event_field("poll").in_(poll_ids),
        (Event.type == "poll") & _event_field("id").in_(poll_ids),
    )
    for name, model, column, ids in (
        ("results", Result, Result.task_id, task_ids),
        ("tasks", Task, Task.poll_id, poll_ids),
        ("polls", Poll, Poll.session_id, session_ids),
        ("subscriptions", Subscription, Subscription.session_id, session_ids),
    ):
        outcome = db.execute(delete(model).where(column.in_(ids)))
        removed.counts[name] = removed.counts.get(name, 0) + int(getattr(outcome, "rowcount", 0))


def _delete_events(db: DbSession, removed: Removed, *about: ColumnElement[Any]) -> None:
    """Events carry the object they are about (ids, Apple ID...): they go with it."""
    outcome = db.execute(delete(Event).where(or_(*about)))
    removed.counts["events"] = removed.counts.get("events", 0) + int(
        getattr(outcome, "rowcount", 0)
    )


def _event_field(name: str) -> Any:
    return Event.data[name].as_string()


def delete_polls_of_session(db: DbSession, session: Session, removed: Removed) -> None:
    _delete_polls_of_sessions(db, [session.id], removed)


def delete_session(db: DbSession, session: Session) -> Removed:
    removed = Removed()
    _delete_polls_of_sessions(db, [session.id], removed)
    db.delete(session)
    removed.counts["sessions"] = 1
    db.flush()
    return removed


def delete_user(db: DbSession, user: User) -> Removed:
    removed = Removed()
    session_ids = list(db.scalars(select(Session.id).where(Session.user_id == user.id)))
    _delete_polls_of_sessions(db, session_ids, removed)
    _delete_events(db, removed, _event_field("user") == user.id)
    for name, model, column in (
        ("sessions", Session, Session.user_id),
        ("sources", Source, Source.user_id),
    ):
        outcome = db.execute(delete(model).where(column == user.id))
        removed.counts[name] = int(getattr(outcome, "rowcount", 0))
    db.delete(user)
    removed.counts["users"] = 1
    db.flush()
    return removed
