"""Tenants' jobs, taken in turns: organisations first, then the keys of one.

Every process of a deployment shares the database, so the turns hold on both queue
engines (huey on SQLite in ``serve``, huey on Redis with ``cloudtap worker`` processes).
The next job is the oldest waiting one of the key whose organisation, then key, has the
fewest jobs running and, among equals, was served least recently (never served first;
ties go to the longest waiting). So a tenant whose backlog holds the workers yields the
next free one to a tenant with nothing running. A taken job stays as a row marked
running until it ends (or its ``running_until`` lapses: its worker died). Taking it is
one conditional UPDATE: on SQLite and PostgreSQL alike exactly one worker gets it, and a
worker that loses the race simply looks again.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import (
    ColumnElement,
    Select,
    Table,
    and_,
    bindparam,
    case,
    delete,
    exists,
    func,
    or_,
    select,
    update,
)
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session as DbSession

from cloudtap.store.ids import utcnow
from cloudtap.store.models import QueuedJob, TenantTurn

# Workers racing for the same job: how often one looks again before giving its turn up
# (the job is still queued, and so is a message for it).
_TAKE_ATTEMPTS = 8
_BYTES = "$b64"


@dataclass(frozen=True)
class Tenant:
    organisation_id: str
    key_id: str = ""


@dataclass(frozen=True)
class TakenJob:
    tenant: Tenant
    name: str
    args: list[Any]
    pk: int


def _encode(value: Any) -> Any:
    if isinstance(value, bytes):
        return {_BYTES: base64.b64encode(value).decode("ascii")}
    if isinstance(value, (list, tuple)):
        return [_encode(item) for item in value]
    return value


def _decode(value: Any) -> Any:
    if isinstance(value, dict) and set(value) == {_BYTES}:
        return base64.b64decode(value[_BYTES])
    if isinstance(value, list):
        return [_decode(item) for item in value]
    return value


def push(db: DbSession, tenant: Tenant, name: str, args: list[Any]) -> None:
    push_many(db, tenant, [(name, args)])


def push_many(db: DbSession, tenant: Tenant, jobs: list[tuple[str, list[Any]]]) -> None:
    """Queue ``tenant``'s jobs (name, arguments) in one flush."""
    db.add_all(
        QueuedJob(
            organisation_id=tenant.organisation_id,
            key_id=tenant.key_id,
            name=name,
            args=_encode(list(args)),
        )
        for name, args in jobs
    )
    db.flush()


def waiting(db: DbSession) -> int:
    """How many jobs wait to be taken."""
    query = select(func.count()).select_from(QueuedJob).where(QueuedJob.running_until.is_(None))
    return int(db.scalar(query) or 0)


def others_waiting(db: DbSession, tenant: Tenant, queued_by: datetime | None = None) -> bool:
    """Whether a job of another organisation, or another key of this one, is waiting
    (one queued at ``queued_by`` or earlier, if given)."""
    other = or_(
        QueuedJob.organisation_id != tenant.organisation_id,
        QueuedJob.key_id != tenant.key_id,
    )
    waiting_jobs = and_(other, QueuedJob.running_until.is_(None))
    if queued_by is not None:
        waiting_jobs = and_(waiting_jobs, QueuedJob.date_created <= queued_by)
    return bool(db.scalar(select(exists().where(waiting_jobs))))


def others_active(
    db: DbSession,
    tenant: Tenant,
    now: datetime,
    queued_since: datetime,
    kinds_left_out: frozenset[str],
) -> bool:
    """Whether another organisation's (or another key's) job, of a kind not in
    ``kinds_left_out``, queued at ``queued_since`` or later, is waiting or running."""
    other = or_(
        QueuedJob.organisation_id != tenant.organisation_id,
        QueuedJob.key_id != tenant.key_id,
    )
    active = or_(QueuedJob.running_until.is_(None), QueuedJob.running_until > now)
    found = and_(other, active, QueuedJob.date_created >= queued_since)
    if kinds_left_out:
        found = and_(found, QueuedJob.name.not_in(kinds_left_out))
    return bool(db.scalar(select(exists().where(found))))


def _counts(rows: Any) -> dict[Tenant, int]:
    return {Tenant(org, key): int(count) for org, key, count in rows}


_QUEUE, _TURNS = cast(Table, QueuedJob.__table__), cast(Table, TenantTurn.__table__)
_Q, _T = _QUEUE.c, _TURNS.c
_NOW = bindparam("now", type_=QueuedJob.running_until.type)
_TURNS_OF = _TURNS.alias()


def _tenants_statement(excluding: frozenset[str]) -> Select[Any]:
    """Per tenant with a queued row: its oldest waiting job (of a kind not in
    ``excluding``), its running and lapsed jobs, and how recently it and its
    organisation were served; one read where it took three (each built per call)."""
    waiting: ColumnElement[bool] = _Q.running_until.is_(None)
    if excluding:
        waiting = and_(waiting, _Q.name.not_in(sorted(excluding)))
    key_served = (
        select(_T.served)
        .where(_T.organisation_id == _Q.organisation_id, _T.key_id == _Q.key_id)
        .scalar_subquery()
    )
    org_served = (
        select(func.max(_TURNS_OF.c.served))
        .where(_TURNS_OF.c.organisation_id == _Q.organisation_id)
        .scalar_subquery()
    )
    return select(
        _Q.organisation_id,
        _Q.key_id,
        func.min(case((waiting, _Q.pk))),
        func.sum(case((_Q.running_until > _NOW, 1), else_=0)),
        func.sum(case((_Q.running_until <= _NOW, 1), else_=0)),
        func.coalesce(key_served, 0),
        func.coalesce(org_served, 0),
    ).group_by(_Q.organisation_id, _Q.key_id)


# Built once per set of excluded kinds (the consumer uses two: none, the long jobs).
_TENANTS: dict[frozenset[str], Select[Any]] = {}
_FORGET_LAPSED = delete(_QUEUE).where(_Q.running_until <= _NOW)
_TAKE = (
    update(_QUEUE)
    .where(_Q.pk == bindparam("taken_pk"), _Q.running_until.is_(None))
    .values(running_until=bindparam("until", type_=QueuedJob.running_until.type))
    .returning(_Q.name, _Q.args)
)
_LATEST_TURN = select(func.coalesce(func.max(_T.served), 0)).scalar_subquery()
_SERVED = (
    update(_TURNS)
    .where(_T.organisation_id == bindparam("org"), _T.key_id == bindparam("key"))
    .values(served=_LATEST_TURN + 1)
)


def _fairest(
    db: DbSession, now: datetime, excluding: frozenset[str] = frozenset()
) -> tuple[Tenant, int] | None:
    """The tenant whose turn it is, and the pk of its oldest waiting job (of a kind not
    in ``excluding``). Jobs whose worker died without ending them are forgotten."""
    statement = _TENANTS.get(excluding)
    if statement is None:
        statement = _TENANTS.setdefault(excluding, _tenants_statement(excluding))
    rows = db.execute(statement, {"now": now}).all()
    if any(row[4] for row in rows):
        # Lapsed rows no longer count as running (the read above); drop them.
        db.execute(_FORGET_LAPSED, {"now": now})
    oldest: dict[Tenant, int] = {}
    key_running: dict[Tenant, int] = {}
    key_served: dict[Tenant, int] = {}
    org_running: dict[str, int] = {}
    org_served: dict[str, int] = {}
    for org, key, first_waiting, running, _lapsed, served, served_in_org in rows:
        tenant = Tenant(org, key)
        if first_waiting is not None:
            oldest[tenant] = int(first_waiting)
        key_running[tenant] = int(running)
        key_served[tenant] = int(served)
        org_running[org] = org_running.get(org, 0) + int(running)
        org_served[org] = int(served_in_org)
    if not oldest:
        return None

    def turn(tenant: Tenant) -> tuple[int, int, int, int, int]:
        org = tenant.organisation_id
        return (
            org_running[org],
            org_served[org],
            key_running[tenant],
            key_served[tenant],
            oldest[tenant],
        )

    chosen = min(oldest, key=turn)
    return chosen, oldest[chosen]


def _served(db: DbSession, tenant: Tenant) -> None:
    params = {"org": tenant.organisation_id, "key": tenant.key_id}
    changed = db.execute(_SERVED, params, execution_options={"synchronize_session": False})
    if getattr(changed, "rowcount", 0):
        return
    latest = int(db.scalar(select(func.max(TenantTurn.served))) or 0)
    try:
        with db.begin_nested():  # a worker serving the same new tenant may insert first
            db.add(TenantTurn(organisation_id=tenant.organisation_id, key_id=tenant.key_id,
                              served=latest + 1))  # fmt: skip
    except IntegrityError:
        pass  # it was served just now: its turn is recorded


def take_next(
    db: DbSession, running_for: float = 60.0, excluding: frozenset[str] = frozenset()
) -> TakenJob | None:
    """Mark the next job by the turns above as running (for at most ``running_for``
    seconds unless :func:`finish` ends it first) and return it; None if none waits.
    Jobs named in ``excluding`` are left waiting (the caller has no slot for them)."""
    now = utcnow()
    until = now + timedelta(seconds=running_for)
    for _ in range(_TAKE_ATTEMPTS):
        found = _fairest(db, now, excluding)
        if found is None:
            return None
        tenant, pk = found
        row = db.execute(_TAKE, {"taken_pk": pk, "until": until}).first()
        if row is None:
            continue  # another worker took it first
        _served(db, tenant)
        return TakenJob(tenant, str(row[0]), list(_decode(row[1] or [])), pk)
    return None


_FINISH = delete(_QUEUE).where(_Q.pk == bindparam("pk"))


def finish(db: DbSession, job: TakenJob) -> None:
    """The job ended: it no longer counts as running."""
    db.execute(_FINISH, {"pk": job.pk})
