"""``/subscriptions``: recurring polls of a session, run by the job queue.

``POST`` schedules the first run at ``date_start`` (or now); every run makes a poll with
``subscription`` set (``GET /polls?subscription=<id>``); ``DELETE`` stops it.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.orm import Session as DbSession

from cloudtap.api.auth import Caller, authenticate
from cloudtap.api.common import (
    ListOut,
    ListParams,
    list_params,
    list_resource,
    load_scoped,
    unit_of_work,
)
from cloudtap.api.configured import require_configured
from cloudtap.api.errors import invalid_parameter
from cloudtap.api.resources.polls import PollPayload, active_session_and_source
from cloudtap.api.routing import WireRoute
from cloudtap.api.scopes import poll_scopes, require_scopes
from cloudtap.store.db import on_commit
from cloudtap.store.ids import isoformat, utcnow
from cloudtap.store.models import Session, Subscription

router = APIRouter(tags=["subscriptions"], route_class=WireRoute)

# ricloud's default: one poll a day.
DEFAULT_INTERVAL_SECONDS = 24 * 3600


class SubscriptionCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    session: str
    source: str | None = None
    poll_payload: PollPayload
    interval: int | None = Field(default=None, ge=1)
    date_start: datetime | None = None
    date_end: datetime | None = None


class SubscriptionOut(BaseModel):
    model_config = ConfigDict(extra="allow")

    id: str
    resource: str = "subscription"
    organisation: str
    org: str
    key: str | None
    user: str
    source: str
    session: str
    poll_payload: dict[str, Any]
    interval: int | None
    date_start: str | None
    date_end: str | None
    state: str
    date_created: str | None
    date_last_poll: str | None
    date_next_poll: str | None


def serialize_subscription(row: Subscription) -> dict[str, Any]:
    return {
        "id": row.id,
        "resource": "subscription",
        "organisation": row.organisation_id,
        "org": row.organisation_id,  # ricloud's docs name the field ``org``
        "key": row.key_id,
        "user": row.user_id,
        "source": row.source_id,
        "session": row.session_id,
        "poll_payload": row.poll_payload,
        "interval": row.interval,
        "date_start": isoformat(row.date_start),
        "date_end": isoformat(row.date_end),
        "state": row.state,
        "date_created": isoformat(row.date_created),
        "date_last_poll": isoformat(row.date_last_poll),
        "date_next_poll": isoformat(row.date_next_poll),
    }


def _naive_utc(value: datetime | None) -> datetime | None:
    if value is None or value.tzinfo is None:
        return value
    return value.astimezone(UTC).replace(tzinfo=None)


def _load(db: DbSession, caller: Caller, subscription_id: str) -> Subscription:
    return load_scoped(db, Subscription, caller, subscription_id, "subscription")


def _checked_session(
    db: DbSession, caller: Caller, body: SubscriptionCreate
) -> tuple[Session, str]:
    session, source_id = active_session_and_source(db, caller, body.session, body.source)
    return session, source_id or session.source_id


@router.get("/subscriptions", response_model=ListOut[SubscriptionOut])
def list_subscriptions(
    request: Request,
    params: ListParams = Depends(list_params),
    session: str | None = None,
    state: str | None = None,
    caller: Caller = Depends(authenticate),
) -> dict[str, Any]:
    filters = {"session_id": session, "state": state}
    return list_resource(
        request,
        caller,
        params,
        Subscription,
        lambda _db, row: serialize_subscription(row),
        filters=filters,
    )


@router.post("/subscriptions", response_model=SubscriptionOut, status_code=201)
def create_subscription(
    body: SubscriptionCreate, caller: Caller = Depends(authenticate)
) -> dict[str, Any]:
    from cloudtap.jobs.subscriptions import schedule_run

    payload = body.poll_payload
    if not (payload.info_types or payload.data_types or payload.files):
        raise invalid_parameter(
            "poll_payload", "ask for at least one of info_types, data_types, files"
        )
    minimum = caller.settings.subscription_min_interval_seconds
    interval = body.interval or max(DEFAULT_INTERVAL_SECONDS, minimum)
    if interval < minimum:
        raise invalid_parameter("interval", f"must be at least {minimum} seconds")
    now = utcnow()
    date_start, date_end = _naive_utc(body.date_start), _naive_utc(body.date_end)
    if date_end is not None and date_end <= max(date_start or now, now):
        raise invalid_parameter("date_end", "must be later than date_start and now")
    with unit_of_work(caller) as db:
        session, source_id = _checked_session(db, caller, body)
        require_scopes(db, caller, poll_scopes(payload.model_dump()))
        require_configured(db, caller)
        first_run = max(date_start or now, now)
        row = Subscription(
            organisation_id=caller.organisation_id,
            key_id=caller.key_id,
            user_id=session.user_id,
            source_id=source_id,
            session_id=session.id,
            poll_payload=payload.model_dump(exclude_none=True),
            interval=interval,
            date_start=date_start,
            date_end=date_end,
            date_next_poll=first_run,
        )
        db.add(row)
        db.flush()
        settings, subscription_id = caller.settings, row.id
        on_commit(db, lambda: schedule_run(settings, subscription_id, first_run))
        return serialize_subscription(row)


@router.get("/subscriptions/{subscription_id}", response_model=SubscriptionOut)
def retrieve_subscription(
    subscription_id: str, caller: Caller = Depends(authenticate)
) -> dict[str, Any]:
    with unit_of_work(caller) as db:
        return serialize_subscription(_load(db, caller, subscription_id))


@router.delete("/subscriptions/{subscription_id}", response_model=SubscriptionOut)
def delete_subscription(
    subscription_id: str, caller: Caller = Depends(authenticate)
) -> dict[str, Any]:
    """Stops the subscription; its past polls and results stay."""
    with unit_of_work(caller) as db:
        row = _load(db, caller, subscription_id)
        row.state, row.date_next_poll = "deleted", None
        db.flush()
        return serialize_subscription(row)
