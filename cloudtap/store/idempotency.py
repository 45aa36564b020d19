"""Queries of ``idempotency_keys``: claim a key for a request, finish it, replay it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session as DbSession

from cloudtap.store.ids import utcnow
from cloudtap.store.models import IdempotencyRecord
from cloudtap.store.process_owner import is_gone, this_process


@dataclass(frozen=True)
class Claimed:
    """The key is new: this request runs, and its answer is stored under ``pk``."""

    pk: int


@dataclass(frozen=True)
class Stored:
    """A finished earlier request: ``same`` tells whether it is this very request."""

    same: bool
    status_code: int | None
    response_sealed: bytes | None
    response_key_id: str | None


# No request is answered later than this (Ricloud-Await is capped at 30 s by default).
ABANDONED_AFTER = timedelta(minutes=5)


def claim(
    db: DbSession,
    key_id: str,
    idempotency_key: str,
    request_hash: str,
    ttl: timedelta,
    abandoned: timedelta = ABANDONED_AFTER,
) -> Claimed | Stored:
    now = utcnow()
    db.execute(delete(IdempotencyRecord).where(IdempotencyRecord.date_expires < now))
    found = _find(db, key_id, idempotency_key)
    if found is not None and found.status_code is None and _abandoned(found, now - abandoned):
        # Its process died mid-request: run it afresh.
        db.delete(found)
        db.flush()
        found = None
    if found is None:
        record = IdempotencyRecord(
            key_id=key_id,
            idempotency_key=idempotency_key,
            request_hash=request_hash,
            date_expires=now + ttl,
            owner=this_process(),
        )
        try:
            with db.begin_nested():
                db.add(record)
                db.flush()
            return Claimed(record.pk)
        except IntegrityError:  # a concurrent request claimed it first
            found = _find(db, key_id, idempotency_key)
            assert found is not None
    return Stored(
        found.request_hash == request_hash,
        found.status_code,
        found.response_sealed,
        found.response_key_id,
    )


def _abandoned(record: IdempotencyRecord, started_before: datetime) -> bool:
    # Its process is known to be gone (killed, restarted), or no answer can take this long.
    return is_gone(record.owner) or record.date_created < started_before


def _find(db: DbSession, key_id: str, idempotency_key: str) -> IdempotencyRecord | None:
    return db.scalars(
        select(IdempotencyRecord).where(
            IdempotencyRecord.key_id == key_id,
            IdempotencyRecord.idempotency_key == idempotency_key,
        )
    ).first()


def finish(db: DbSession, pk: int, status_code: int, sealed: bytes, sealed_key_id: str) -> None:
    record = db.get(IdempotencyRecord, pk)
    if record is not None:
        record.status_code = status_code
        record.response_sealed, record.response_key_id = sealed, sealed_key_id


def release(db: DbSession, pk: int) -> None:
    """Forget a claim whose request failed on our side: a retry may run again."""
    db.execute(delete(IdempotencyRecord).where(IdempotencyRecord.pk == pk))
