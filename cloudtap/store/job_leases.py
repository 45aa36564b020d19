"""Leases on running polls and tasks, kept in the database every process shares.

A worker *claims* a pending row (``pending`` → ``processing`` with its random token and
an expiry), renews the expiry while it works, and *settles* the row at the end only if
it still holds the lease. Every step is one conditional UPDATE, so on SQLite and
PostgreSQL alike exactly one worker wins a claim, a reclaim or a settle.

A worker that dies stops renewing; once the expiry passes, any live worker may
*reclaim* the row (back to ``pending``, ``reclaims`` + 1) and enqueue it again.
Expiries are compared with the workers' clocks, which must agree within a few seconds.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import Table, Update, and_, bindparam, exists, or_, select, update
from sqlalchemy.orm import Session as DbSession
from sqlalchemy.sql.elements import ClauseElement

from cloudtap.store.ids import utcnow
from cloudtap.store.models import Poll, Task

Leased = type[Poll] | type[Task]


def _changed(result: Any) -> bool:
    return bool(getattr(result, "rowcount", 0))


# Claims and settles run for every poll and task: their statements are built once per
# model (and set of written columns) and bound per call.
_CLAIMS: dict[str, Update] = {}
_SETTLES: dict[tuple[str, tuple[str, ...]], Update] = {}


def _table(model: Leased) -> Table:
    return cast(Table, model.__table__)


def _claim_statement(model: Leased) -> Update:
    table = _table(model)
    found = _CLAIMS.get(table.name)
    if found is None:
        c = table.c
        found = _CLAIMS.setdefault(
            table.name,
            update(table)
            .where(c.id == bindparam("row_id"), c.state == "pending")
            .values(
                state="processing",
                date_started=bindparam("now", type_=c.date_started.type),
                lease_owner=bindparam("owner", type_=c.lease_owner.type),
                lease_expires=bindparam("until", type_=c.lease_expires.type),
            ),
        )
    return found


def claim(db: DbSession, model: Leased, row_id: str, owner: str, ttl: float) -> bool:
    """Take a pending row for this worker; False if someone else has (or had) it."""
    now = utcnow()
    params = {"row_id": row_id, "now": now, "owner": owner}
    return _changed(
        db.execute(_claim_statement(model), {**params, "until": now + timedelta(seconds=ttl)})
    )


def renew(db: DbSession, model: Leased, row_id: str, owner: str, ttl: float) -> bool:
    """Push the lease ``ttl`` ahead; False once it is no longer this worker's."""
    return _changed(
        db.execute(
            update(model)
            .where(model.id == row_id, model.state == "processing", model.lease_owner == owner)
            .values(lease_expires=utcnow() + timedelta(seconds=ttl))
            .execution_options(synchronize_session=False)
        )
    )


def _settle_statement(model: Leased, columns: tuple[str, ...]) -> Update:
    table = _table(model)
    found = _SETTLES.get((table.name, columns))
    if found is None:
        c = table.c
        written = {name: bindparam(f"set_{name}", type_=c[name].type) for name in columns}
        found = _SETTLES.setdefault(
            (table.name, columns),
            update(table)
            .where(
                c.id == bindparam("row_id"),
                c.state == "processing",
                c.lease_owner == bindparam("owner"),
            )
            .values(written),
        )
    return found


def settle(db: DbSession, model: Leased, row_id: str, owner: str, **values: Any) -> bool:
    """Give the lease up, writing ``values`` in the same UPDATE; False (and nothing
    written) if it had lapsed and was taken back meanwhile. On PostgreSQL the UPDATE
    locks the row until commit, so a concurrent reclaim sees the settled state."""
    values = {"lease_owner": None, "lease_expires": None, **values}
    if any(isinstance(value, ClauseElement) for value in values.values()):
        return _changed(
            db.execute(
                update(model)
                .where(model.id == row_id, model.state == "processing", model.lease_owner == owner)
                .values(**values)
                .execution_options(synchronize_session=False)
            )
        )
    statement = _settle_statement(model, tuple(sorted(values)))
    params = {f"set_{name}": value for name, value in values.items()}
    return _changed(db.execute(statement, {**params, "row_id": row_id, "owner": owner}))


def expired(db: DbSession, model: Leased, now: datetime, limit: int) -> list[str]:
    """Ids of running rows whose lease has lapsed."""
    return list(
        db.scalars(
            select(model.id)
            .where(model.state == "processing", model.lease_expires < now)
            .order_by(model.lease_expires)
            .limit(limit)
        )
    )


def reclaim(db: DbSession, model: Leased, row_id: str, now: datetime, grace: float) -> bool:
    """Back to ``pending`` if its lease has still lapsed; ``lease_expires`` then says by
    when a worker should have claimed it from the queue."""
    return _changed(
        db.execute(
            update(model)
            .where(model.id == row_id, model.state == "processing", model.lease_expires < now)
            .values(
                state="pending",
                date_started=None,
                lease_owner=None,
                lease_expires=now + timedelta(seconds=grace),
                reclaims=model.reclaims + 1,
            )
            .execution_options(synchronize_session=False)
        )
    )


def overdue(db: DbSession, model: Leased, now: datetime, grace: float, limit: int) -> list[str]:
    """Ids of pending rows nobody claimed in time: their queue message may be lost
    (a worker died between taking it off the queue and claiming the row)."""
    created_before = now - timedelta(seconds=grace)
    late = or_(
        and_(model.lease_expires.is_(None), model.date_created < created_before),
        model.lease_expires < now,
    )
    query = select(model.id).where(model.state == "pending", late)
    if model is Task:
        query = query.where(Task.poll_id.is_not(None))
    return list(db.scalars(query.order_by(model.pk).limit(limit)))


def postpone(db: DbSession, model: Leased, row_id: str, now: datetime, grace: float) -> bool:
    """Expect a claim of this pending row ``grace`` from now; False if it was claimed."""
    return _changed(
        db.execute(
            update(model)
            .where(model.id == row_id, model.state == "pending")
            .values(lease_expires=now + timedelta(seconds=grace))
            .execution_options(synchronize_session=False)
        )
    )


def postpone_many(
    db: DbSession, model: Leased, row_ids: list[str], now: datetime, grace: float
) -> int:
    """:func:`postpone` for many rows in one UPDATE; how many were still pending."""
    result = db.execute(
        update(model)
        .where(model.id.in_(row_ids), model.state == "pending")
        .values(lease_expires=now + timedelta(seconds=grace))
        .execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0) or 0)


def unfinished_polls(db: DbSession, before: datetime, limit: int) -> list[str]:
    """Polls still ``processing`` with no lease and no open task: the worker that ran
    their last task died before marking them completed."""
    open_task = exists().where(Task.poll_id == Poll.id, Task.state.in_(("pending", "processing")))
    return list(
        db.scalars(
            select(Poll.id)
            .where(
                Poll.state == "processing",
                Poll.lease_owner.is_(None),
                Poll.date_started < before,
                ~open_task,
            )
            .limit(limit)
        )
    )
