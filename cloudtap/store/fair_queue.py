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
from typing import Any

from sqlalchemy import ColumnElement, and_, delete, exists, func, or_, select, update
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
    db.add(
        QueuedJob(
            organisation_id=tenant.organisation_id,
            key_id=tenant.key_id,
            name=name,
            args=_encode(list(args)),
        )
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


def _fairest(
    db: DbSession, now: datetime, excluding: frozenset[str] = frozenset()
) -> tuple[Tenant, int] | None:
    """The tenant whose turn it is, and the pk of its oldest waiting job (of a kind not
    in ``excluding``)."""
    tenant_columns = (QueuedJob.organisation_id, QueuedJob.key_id)
    waiting_jobs: ColumnElement[bool] = QueuedJob.running_until.is_(None)
    if excluding:
        waiting_jobs = and_(waiting_jobs, QueuedJob.name.not_in(excluding))
    oldest = _counts(
        db.execute(
            select(*tenant_columns, func.min(QueuedJob.pk))
            .where(waiting_jobs)
            .group_by(*tenant_columns)
        ).tuples()
    )
    if not oldest:
        return None
    key_running = _counts(
        db.execute(
            select(*tenant_columns, func.count())
            .where(QueuedJob.running_until > now)
            .group_by(*tenant_columns)
        ).tuples()
    )
    organisations = {tenant.organisation_id for tenant in oldest}
    key_served = _counts(
        db.execute(
            select(TenantTurn.organisation_id, TenantTurn.key_id, TenantTurn.served).where(
                TenantTurn.organisation_id.in_(organisations)
            )
        ).tuples()
    )
    org_running: dict[str, int] = {}
    for tenant, count in key_running.items():
        org_running[tenant.organisation_id] = org_running.get(tenant.organisation_id, 0) + count
    org_served: dict[str, int] = {}
    for tenant, served in key_served.items():
        org_served[tenant.organisation_id] = max(org_served.get(tenant.organisation_id, 0), served)

    def turn(tenant: Tenant) -> tuple[int, int, int, int, int]:
        org = tenant.organisation_id
        return (
            org_running.get(org, 0),
            org_served.get(org, 0),
            key_running.get(tenant, 0),
            key_served.get(tenant, 0),
            oldest[tenant],
        )

    chosen = min(oldest, key=turn)
    return chosen, oldest[chosen]


def _served(db: DbSession, tenant: Tenant) -> None:
    latest = int(db.scalar(select(func.max(TenantTurn.served))) or 0)
    changed = db.execute(
        update(TenantTurn)
        .where(
            TenantTurn.organisation_id == tenant.organisation_id,
            TenantTurn.key_id == tenant.key_id,
        )
        .values(served=latest + 1)
        .execution_options(synchronize_session=False)
    )
    if getattr(changed, "rowcount", 0):
        return
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
    # Jobs whose worker died without ending them no longer count as running.
    db.execute(
        delete(QueuedJob)
        .where(QueuedJob.running_until <= now)
        .execution_options(synchronize_session=False)
    )
    for _ in range(_TAKE_ATTEMPTS):
        found = _fairest(db, now, excluding)
        if found is None:
            return None
        tenant, pk = found
        row = db.execute(select(QueuedJob.name, QueuedJob.args).where(QueuedJob.pk == pk)).first()
        taken = db.execute(
            update(QueuedJob)
            .where(QueuedJob.pk == pk, QueuedJob.running_until.is_(None))
            .values(running_until=now + timedelta(seconds=running_for))
            .execution_options(synchronize_session=False)
        )
        if row is None or not getattr(taken, "rowcount", 0):
            continue  # another worker took it first
        _served(db, tenant)
        return TakenJob(tenant, str(row[0]), list(_decode(row[1] or [])), pk)
    return None


def finish(db: DbSession, job: TakenJob) -> None:
    """The job ended: it no longer counts as running."""
    db.execute(
        delete(QueuedJob).where(QueuedJob.pk == job.pk).execution_options(synchronize_session=False)
    )
