"""SQLAlchemy 2 models: one table per ricloud v3 resource, plus sealed Apple state.

Every row that belongs to a tenant carries ``organisation_id`` so each query can be
scoped. ``pk`` is an internal sequence (list order and cursors); ``id`` is the public id.
Secrets are stored only as ``*_sealed`` blobs with the id of the key that sealed them.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from cloudtap.store.ids import new_id, utcnow

JSONValue = dict[str, Any]


# The states in which a poll is open and a login in progress (each key has a limit).
OPEN_POLL_STATES = ("pending", "processing")
PENDING_SESSION_STATES = ("pending",)


def states_in(states: tuple[str, ...]) -> str:
    """``state IN ('a', 'b')``, the states written out: the condition of a partial index
    of them, which a query must repeat as written for SQLite to use that index."""
    return "state IN (" + ", ".join(f"'{state}'" for state in states) + ")"


def _open_by_key(name: str, states: tuple[str, ...]) -> Index:
    """A partial index of a key's objects in ``states``: what its per-key limit counts."""
    where = text(states_in(states))
    return Index(name, "key_id", "state", sqlite_where=where, postgresql_where=where)


class Base(DeclarativeBase):
    type_annotation_map = {JSONValue: JSON, datetime: DateTime()}


class _Row:
    """Columns every public object has."""

    pk: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    id: Mapped[str] = mapped_column(String(36), unique=True, index=True, default=new_id)
    date_created: Mapped[datetime] = mapped_column(default=utcnow)


class Organisation(_Row, Base):
    __tablename__ = "organisations"

    name: Mapped[str] = mapped_column(String(200))
    slug: Mapped[str] = mapped_column(String(200), unique=True)
    type: Mapped[str] = mapped_column(String(20), default="standard")
    state: Mapped[str] = mapped_column(String(20), default="active")
    config: Mapped[JSONValue] = mapped_column(default=dict)
    storage_config_default: Mapped[str | None] = mapped_column(String(36), default=None)
    webhook_config_default: Mapped[str | None] = mapped_column(String(36), default=None)


class _Owned(_Row):
    organisation_id: Mapped[str] = mapped_column(
        String(36), ForeignKey("organisations.id", ondelete="CASCADE"), index=True
    )


class Key(_Owned, Base):
    __tablename__ = "keys"

    environment: Mapped[str] = mapped_column(String(10))
    # SHA-256 of the token; the token itself is shown once and never stored.
    token_hash: Mapped[str] = mapped_column(String(64), unique=True, index=True)
    token_hint: Mapped[str] = mapped_column(String(40))
    type: Mapped[str] = mapped_column(String(20), default="standard")
    state: Mapped[str] = mapped_column(String(20), default="active")
    config: Mapped[JSONValue] = mapped_column(default=dict)
    storage_config_id: Mapped[str | None] = mapped_column(String(36), default=None)
    webhook_config_id: Mapped[str | None] = mapped_column(String(36), default=None)
    date_expires: Mapped[datetime | None] = mapped_column(default=None)


class User(_Owned, Base):
    __tablename__ = "users"
    __table_args__ = (UniqueConstraint("organisation_id", "identifier"),)

    key_id: Mapped[str | None] = mapped_column(String(36), default=None)
    identifier: Mapped[str] = mapped_column(String(500))
    state: Mapped[str] = mapped_column(String(20), default="active")


class Source(_Owned, Base):
    __tablename__ = "sources"
    __table_args__ = (UniqueConstraint("user_id", "type", "identifier"),)

    user_id: Mapped[str] = mapped_column(
        String(36), ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    # The key that created it (permission limits of level ``key`` count by it).
    key_id: Mapped[str | None] = mapped_column(String(36), default=None)
    type: Mapped[str] = mapped_column(String(50))
    identifier: Mapped[str] = mapped_column(String(500))
    # Indexed: every session read lists its source's children.
    parent_id: Mapped[str | None] = mapped_column(String(36), default=None, index=True)
    state: Mapped[str] = mapped_column(String(20), default="unvalidated")
    # Non-secret facts the connector reported (e.g. full name).
    account: Mapped[JSONValue] = mapped_column(default=dict)
    # An Apple login waiting for a 2FA code or 2SV choice, handed back to the next login.
    login_sealed: Mapped[bytes | None] = mapped_column(LargeBinary, default=None)
    login_key_id: Mapped[str | None] = mapped_column(String(20), default=None)
    login_expires: Mapped[datetime | None] = mapped_column(default=None)
    # The last trusted web session (trust token, cookies) so later logins skip 2FA.
    trust_sealed: Mapped[bytes | None] = mapped_column(LargeBinary, default=None)
    trust_key_id: Mapped[str | None] = mapped_column(String(20), default=None)


class Session(_Owned, Base):
    __tablename__ = "sessions"
    __table_args__ = (
        # A key's logins in progress, counted at every POST /sessions (its limit).
        _open_by_key("ix_sessions_open_by_key", PENDING_SESSION_STATES),
    )

    key_id: Mapped[str | None] = mapped_column(String(36), default=None)
    user_id: Mapped[str] = mapped_column(
        String(36), ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    source_id: Mapped[str] = mapped_column(
        String(36), ForeignKey("sources.id", ondelete="CASCADE"), index=True
    )
    environment: Mapped[str] = mapped_column(String(10), default="sandbox")
    state: Mapped[str] = mapped_column(String(20), default="pending")
    error: Mapped[str | None] = mapped_column(String(100), default=None)
    error_info: Mapped[JSONValue | None] = mapped_column(default=None)
    state_sealed: Mapped[bytes | None] = mapped_column(LargeBinary, default=None)
    state_key_id: Mapped[str | None] = mapped_column(String(20), default=None)
    date_expired: Mapped[datetime | None] = mapped_column(default=None)
    # When the login's trust ends: Apple's word, or the documented estimate (``True``).
    date_expires: Mapped[datetime | None] = mapped_column(default=None, index=True)
    expires_estimated: Mapped[bool | None] = mapped_column(default=None)
    # When ``session.expiring`` went out (it goes out once).
    date_expiring_sent: Mapped[datetime | None] = mapped_column(default=None)


class Subscription(_Owned, Base):
    __tablename__ = "subscriptions"

    key_id: Mapped[str | None] = mapped_column(String(36), default=None)
    user_id: Mapped[str] = mapped_column(String(36), index=True)
    source_id: Mapped[str] = mapped_column(String(36), index=True)
    session_id: Mapped[str] = mapped_column(
        String(36), ForeignKey("sessions.id", ondelete="CASCADE"), index=True
    )
    poll_payload: Mapped[JSONValue] = mapped_column(default=dict)
    interval: Mapped[int | None] = mapped_column(Integer, default=None)
    date_start: Mapped[datetime | None] = mapped_column(default=None)
    date_end: Mapped[datetime | None] = mapped_column(default=None)
    state: Mapped[str] = mapped_column(String(20), default="pending")
    # The run the scheduler expects next; a queued run for any other time is stale.
    date_next_poll: Mapped[datetime | None] = mapped_column(default=None)
    date_last_poll: Mapped[datetime | None] = mapped_column(default=None)


class _Leased:
    """A job's lease while a worker runs it (see ``cloudtap.store.job_leases``)."""

    # The running worker's random token, and when its lease lapses unless renewed. On a
    # pending row ``lease_expires`` is when it counts as lost from the queue.
    lease_owner: Mapped[str | None] = mapped_column(String(32), default=None)
    lease_expires: Mapped[datetime | None] = mapped_column(index=True, default=None)
    # How many times a worker died (its lease lapsed) while running it.
    reclaims: Mapped[int] = mapped_column(Integer, default=0, server_default="0")


class Poll(_Leased, _Owned, Base):
    __tablename__ = "polls"
    __table_args__ = (
        # A list's count (every GET /polls) from the index alone.
        Index("ix_polls_organisation_key", "organisation_id", "key_id"),
        # A key's open polls, counted at every POST /polls (its limit): from these alone.
        _open_by_key("ix_polls_open_by_key", OPEN_POLL_STATES),
    )

    key_id: Mapped[str | None] = mapped_column(String(36), default=None)
    user_id: Mapped[str] = mapped_column(String(36), index=True)
    source_id: Mapped[str] = mapped_column(String(36), index=True)
    session_id: Mapped[str] = mapped_column(
        String(36), ForeignKey("sessions.id", ondelete="CASCADE"), index=True
    )
    subscription_id: Mapped[str | None] = mapped_column(String(36), index=True, default=None)
    payload: Mapped[JSONValue] = mapped_column(default=dict)
    state: Mapped[str] = mapped_column(String(20), default="pending")
    errors: Mapped[list[Any]] = mapped_column(JSON, default=list)
    date_started: Mapped[datetime | None] = mapped_column(default=None)
    date_completed: Mapped[datetime | None] = mapped_column(default=None)


class Task(_Leased, _Owned, Base):
    __tablename__ = "tasks"

    key_id: Mapped[str | None] = mapped_column(String(36), default=None)
    user_id: Mapped[str | None] = mapped_column(String(36), default=None)
    source_id: Mapped[str | None] = mapped_column(String(36), default=None)
    session_id: Mapped[str | None] = mapped_column(String(36), default=None)
    poll_id: Mapped[str | None] = mapped_column(
        String(36), ForeignKey("polls.id", ondelete="CASCADE"), index=True, default=None
    )
    source_type: Mapped[str | None] = mapped_column(String(50), default=None)
    # e.g. icloud.info, icloud.data, icloud.file, webhook_config.test
    type: Mapped[str] = mapped_column(String(50))
    target: Mapped[str | None] = mapped_column(Text, default=None)
    state: Mapped[str] = mapped_column(String(20), default="pending")
    error: Mapped[str | None] = mapped_column(String(100), default=None)
    date_started: Mapped[datetime | None] = mapped_column(default=None)
    date_completed: Mapped[datetime | None] = mapped_column(default=None)


class Result(_Owned, Base):
    __tablename__ = "results"

    poll_id: Mapped[str | None] = mapped_column(String(36), index=True, default=None)
    # Unique: a task publishes at most one result, however often it was run.
    task_id: Mapped[str | None] = mapped_column(
        String(36),
        ForeignKey("tasks.id", ondelete="CASCADE"),
        index=True,
        unique=True,
        default=None,
    )
    identifier: Mapped[str] = mapped_column(Text)
    type: Mapped[str] = mapped_column(String(50))
    # Which result store holds it ("local" for now) and where, in that store's terms.
    storage: Mapped[str] = mapped_column(String(20), default="local")
    # The storage config it was published through (None: the server's own store).
    storage_config_id: Mapped[str | None] = mapped_column(String(36), default=None)
    location: Mapped[str] = mapped_column(Text)
    url: Mapped[str] = mapped_column(Text)
    size: Mapped[int] = mapped_column(Integer)
    checksum: Mapped[str] = mapped_column(String(32))
    state: Mapped[str] = mapped_column(String(20), default="available")
    date_expires: Mapped[datetime | None] = mapped_column(default=None)
    # Data-type results: the changes since ``changes_since`` (True) or a full listing.
    incremental: Mapped[bool | None] = mapped_column(default=None)
    changes_since: Mapped[datetime | None] = mapped_column(default=None)


class Event(_Owned, Base):
    __tablename__ = "events"
    # A list's count (every GET /events) from the index alone, not ~1 KB rows.
    __table_args__ = (Index("ix_events_organisation_key", "organisation_id", "key_id"),)

    key_id: Mapped[str | None] = mapped_column(String(36), default=None)
    type: Mapped[str] = mapped_column(String(50), index=True)
    action: Mapped[str] = mapped_column(String(50), index=True)
    data: Mapped[JSONValue] = mapped_column(default=dict)
    state: Mapped[str] = mapped_column(String(20), default="pending")
    retries: Mapped[int] = mapped_column(Integer, default=0)
    date_delivered: Mapped[datetime | None] = mapped_column(default=None)
    # Every webhook delivery attempt: {date, url, status_code, error, duration_ms}.
    attempts: Mapped[list[Any]] = mapped_column(JSON, default=list)


class StorageConfig(_Owned, Base):
    __tablename__ = "storage_configs"

    # The environment of the key that created it; only keys of it use or see it.
    environment: Mapped[str] = mapped_column(String(10))
    type: Mapped[str] = mapped_column(String(10))
    url: Mapped[str] = mapped_column(Text)
    # Bucket credentials are secrets: sealed like Apple state.
    credentials_sealed: Mapped[bytes | None] = mapped_column(LargeBinary, default=None)
    credentials_key_id: Mapped[str | None] = mapped_column(String(20), default=None)
    signed_urls_enabled: Mapped[bool] = mapped_column(Boolean, default=False)
    signed_urls_expiry: Mapped[int | None] = mapped_column(Integer, default=None)
    state: Mapped[str] = mapped_column(String(20), default="new")


class WebhookConfig(_Owned, Base):
    __tablename__ = "webhook_configs"

    # The environment of the key that created it; only keys of it use or see it.
    environment: Mapped[str] = mapped_column(String(10))
    url: Mapped[str] = mapped_column(Text)
    secret: Mapped[str] = mapped_column(String(100))
    state: Mapped[str] = mapped_column(String(20), default="new")


class Permissions(_Owned, Base):
    __tablename__ = "permissions"

    identifier: Mapped[str] = mapped_column(String(200))
    scopes: Mapped[JSONValue] = mapped_column(default=dict)


class ListDeletions(Base):
    """One row: how many rows were ever deleted from the tables whose lists grow with
    history (SQLite triggers count them, migration 0013). A kept list count taken at
    another value counts again (``store/kept_counts.py``)."""

    __tablename__ = "list_deletions"

    pk: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    deleted: Mapped[int] = mapped_column(Integer)


class ListingCursor(Base):
    """Where the last listing of one data type of one source left off (sync tokens).

    Not a credential, but account data: sealed like Apple state. ``as_of`` is when that
    listing started; every change after it is reachable from the cursor.
    """

    __tablename__ = "listing_cursors"
    __table_args__ = (UniqueConstraint("source_id", "data_type"),)

    pk: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    source_id: Mapped[str] = mapped_column(
        String(36), ForeignKey("sources.id", ondelete="CASCADE"), index=True
    )
    data_type: Mapped[str] = mapped_column(String(100))
    cursor_sealed: Mapped[bytes] = mapped_column(LargeBinary)
    cursor_key_id: Mapped[str] = mapped_column(String(20))
    as_of: Mapped[datetime] = mapped_column()
    date_updated: Mapped[datetime] = mapped_column(default=utcnow)


class IdempotencyRecord(Base):
    """The answer to one ``Idempotency-Key`` of one API key, replayed on a retry.

    The response body is sealed (it may hold a freshly issued token); the request is kept
    only as a hash, to tell a retry from a different request under the same key.
    """

    __tablename__ = "idempotency_keys"
    __table_args__ = (UniqueConstraint("key_id", "idempotency_key"),)

    pk: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    key_id: Mapped[str] = mapped_column(
        String(36), ForeignKey("keys.id", ondelete="CASCADE"), index=True
    )
    idempotency_key: Mapped[str] = mapped_column(String(255))
    request_hash: Mapped[str] = mapped_column(String(64))
    # NULL while the first request is still being answered.
    status_code: Mapped[int | None] = mapped_column(Integer, default=None)
    # The process answering it (``store.process_owner``): a dead one's claim is abandoned.
    owner: Mapped[str | None] = mapped_column(String(120), default=None)
    response_sealed: Mapped[bytes | None] = mapped_column(LargeBinary, default=None)
    response_key_id: Mapped[str | None] = mapped_column(String(20), default=None)
    date_created: Mapped[datetime] = mapped_column(default=utcnow)
    date_expires: Mapped[datetime] = mapped_column(index=True)


class AuditEntry(_Owned, Base):
    """One key, config or deletion action: who (key id), what, when. Append-only."""

    __tablename__ = "audit_log"

    key_id: Mapped[str | None] = mapped_column(String(36), default=None)
    environment: Mapped[str | None] = mapped_column(String(10), default=None)
    action: Mapped[str] = mapped_column(String(50))
    object_type: Mapped[str] = mapped_column(String(50))
    object_id: Mapped[str | None] = mapped_column(String(36), default=None)
    details: Mapped[JSONValue] = mapped_column(default=dict)


class DashboardSession(Base):
    """A signed-in dashboard browser. The cookie carries a random id; only its SHA-256 is
    kept, so a copy of the database signs nobody in. Deleting the row ends the session."""

    __tablename__ = "dashboard_sessions"

    pk: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    id_hash: Mapped[str] = mapped_column(String(64), unique=True, index=True)
    key_id: Mapped[str] = mapped_column(
        String(36), ForeignKey("keys.id", ondelete="CASCADE"), index=True
    )
    organisation_id: Mapped[str] = mapped_column(
        String(36), ForeignKey("organisations.id", ondelete="CASCADE")
    )
    environment: Mapped[str] = mapped_column(String(10))
    # The forms' CSRF token (random, per session), checked against every post.
    csrf: Mapped[str] = mapped_column(String(64))
    date_created: Mapped[datetime] = mapped_column(default=utcnow)
    date_expires: Mapped[datetime] = mapped_column(index=True)


class QueuedJob(Base):
    """A tenant's job waiting for its turn, or running (:mod:`cloudtap.store.fair_queue`):
    the job queue's messages only say "run the next fair job", this row says which one."""

    __tablename__ = "queued_jobs"
    __table_args__ = (Index("ix_queued_jobs_tenant", "organisation_id", "key_id", "pk"),)

    pk: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    organisation_id: Mapped[str] = mapped_column(String(36))
    # '' for jobs of no key (dashboard or CLI work), so the tenant index has no NULLs.
    key_id: Mapped[str] = mapped_column(String(36), default="")
    name: Mapped[str] = mapped_column(String(50))
    # The job's arguments: ids, numbers, and sealed blobs (base64); never a secret in clear.
    args: Mapped[list[Any]] = mapped_column(JSON, default=list)
    date_created: Mapped[datetime] = mapped_column(default=utcnow)
    # NULL while it waits; once taken, until when it counts as running (it is deleted
    # when it ends, or lapses if its worker died).
    running_until: Mapped[datetime | None] = mapped_column(default=None)


class TenantTurn(Base):
    """When an organisation's key last had a job started (round-robin between tenants)."""

    __tablename__ = "tenant_turns"

    organisation_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    key_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    # A counter, not a clock: workers on many machines need only agree on its order.
    served: Mapped[int] = mapped_column(Integer, default=0)
