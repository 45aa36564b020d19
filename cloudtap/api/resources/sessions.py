"""``/sessions``: each POST is one Apple login attempt, run as a job.

``pending → active | failed`` (with ``error``/``error_info``, e.g. ``code-required``);
a later ``expired``. The password and code only travel sealed to the login job.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select
from sqlalchemy.orm import Session as DbSession

from cloudtap.api.auth import Caller, authenticate
from cloudtap.api.common import (
    ListOut,
    ListParams,
    await_seconds,
    find_scoped,
    list_params,
    list_resource,
    load_scoped,
    state_of,
    unit_of_work,
)
from cloudtap.api.concurrency import check_pending_sessions
from cloudtap.api.errors import invalid_parameter, not_found
from cloudtap.api.resources.sources import (
    SourceOut,
    SourceType,
    check_source_type,
    source_within_limits,
    user_of,
)
from cloudtap.api.routing import WireRoute, in_thread
from cloudtap.api.scopes import require_scopes
from cloudtap.api.waits import wait_until_settled
from cloudtap.icloud.connector import Credentials
from cloudtap.publish.cleanup import delete_stored_results
from cloudtap.publish.events import emit
from cloudtap.store.db import on_commit
from cloudtap.store.ids import utcnow
from cloudtap.store.models import Session, Source
from cloudtap.store.removal import Removed, delete_polls_of_session
from cloudtap.wire.sessions import serialize_session

router = APIRouter(tags=["sessions"], route_class=WireRoute)

UNSETTLED = ("pending",)


class SessionOut(BaseModel):
    model_config = ConfigDict(extra="allow")

    id: str
    resource: str = "session"
    organisation: str
    key: str | None
    user: str
    source: SourceOut
    state: str
    error: str | None
    error_info: dict[str, Any] | None
    date_created: str | None
    date_expired: str | None
    date_expires: str | None = None
    expires_estimated: bool | None = None


class SourceRef(BaseModel):
    model_config = ConfigDict(extra="forbid")

    user: str
    type: SourceType = "icloud.account"
    identifier: str = Field(min_length=1, max_length=500)


class LoginPayload(BaseModel):
    model_config = ConfigDict(extra="forbid")

    password: str | None = Field(default=None, repr=False)
    code: str | None = Field(default=None, repr=False, max_length=32)
    choice: str | int | None = None


class SessionCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    source: SourceRef | str
    payload: LoginPayload = Field(default_factory=LoginPayload)


def _source_for(db: DbSession, caller: Caller, ref: SourceRef | str) -> Source:
    if isinstance(ref, str):
        source = find_scoped(db, Source, caller, ref)
        if source is None:
            raise invalid_parameter("source", "no such source")
        return source
    check_source_type(caller, ref.type, "source.type")
    user = user_of(db, caller, ref.user, "source.user")
    return source_within_limits(db, caller, user, ref.type, ref.identifier)


def _load(db: DbSession, caller: Caller, session_id: str) -> Session:
    return load_scoped(db, Session, caller, session_id, "session")


@router.get("/sessions", response_model=ListOut[SessionOut])
def list_sessions(
    request: Request,
    params: ListParams = Depends(list_params),
    source: str | None = Query(None),
    user: str | None = Query(None),
    state: str | None = Query(None),
    caller: Caller = Depends(authenticate),
) -> dict[str, Any]:
    filters = {"source_id": source, "user_id": user, "state": state}
    return list_resource(
        request, caller, params, Session, lambda db, s: serialize_session(db, s), filters=filters
    )


def _insert_session(body: SessionCreate, caller: Caller) -> str:
    """Stores the session and queues its login job (credentials sealed) once committed."""
    from cloudtap.jobs.dispatch import enqueue_login

    if not (body.payload.password or body.payload.code):
        raise invalid_parameter("payload.password", "a password is required")
    with unit_of_work(caller) as db:
        source = _source_for(db, caller, body.source)
        require_scopes(db, caller, [f"source_type:{source.type}"])
        check_pending_sessions(db, caller)
        session = Session(
            organisation_id=caller.organisation_id,
            key_id=caller.key_id,
            user_id=source.user_id,
            source_id=source.id,
            environment=caller.environment,
        )
        db.add(session)
        db.flush()
        credentials = Credentials(
            apple_id=source.identifier,
            password=body.payload.password,
            code=body.payload.code,
            choice=None if body.payload.choice is None else str(body.payload.choice),
        )
        session_id, settings = session.id, caller.settings
        on_commit(db, lambda: enqueue_login(settings, session_id, credentials))
    return session_id


def _session_out(caller: Caller, session_id: str) -> dict[str, Any]:
    with unit_of_work(caller) as db:
        return serialize_session(db, _load(db, caller, session_id))


def create_session(body: SessionCreate, request: Request, caller: Caller) -> Any:
    """Starts a login without waiting (the dashboard calls this directly)."""
    session_id = _insert_session(body, caller)
    return JSONResponse(_session_out(caller, session_id), status_code=201)


def retrieve_session(session_id: str, request: Request, caller: Caller) -> dict[str, Any]:
    """The session as it is now (the dashboard calls this directly)."""
    if state_of(caller, Session, session_id) is None:
        raise not_found("session", session_id)
    return _session_out(caller, session_id)


# Async routes: ``Ricloud-Await`` waits on the event loop, never in the shared request
# thread pool (see cloudtap/api/waits.py); database work still runs there, briefly.
@router.post("/sessions", response_model=SessionOut, status_code=201)
async def create_session_route(
    body: SessionCreate, request: Request, caller: Caller = Depends(authenticate)
) -> Any:
    wait = await_seconds(request, caller.settings.await_cap_seconds)
    session_id = await in_thread(_insert_session, body, caller)
    await wait_until_settled(caller.settings.database_url, Session, session_id, UNSETTLED, wait)
    out = await in_thread(_session_out, caller, session_id)
    return JSONResponse(out, status_code=201)


@router.get("/sessions/{session_id}", response_model=SessionOut)
async def retrieve_session_route(
    session_id: str, request: Request, caller: Caller = Depends(authenticate)
) -> dict[str, Any]:
    wait = await_seconds(request, caller.settings.await_cap_seconds)
    if wait > 0:  # without a wait, _session_out's own lookup answers the 404
        if await in_thread(state_of, caller, Session, session_id) is None:
            raise not_found("session", session_id)
        await wait_until_settled(caller.settings.database_url, Session, session_id, UNSETTLED, wait)
    return await in_thread(_session_out, caller, session_id)


@router.delete("/sessions/{session_id}", response_model=SessionOut)
def delete_session(session_id: str, caller: Caller = Depends(authenticate)) -> dict[str, Any]:
    """Ends the session: destroys its sealed Apple state and removes its polls and results."""
    from cloudtap.jobs.dispatch import enqueue_logout

    removed = Removed()
    with unit_of_work(caller) as db:
        row = _load(db, caller, session_id)
        sealed_key_id, sealed_blob = row.state_key_id, row.state_sealed
        delete_polls_of_session(db, row, removed)
        source = db.scalars(select(Source).where(Source.id == row.source_id)).first()
        if source is not None:
            source.trust_sealed = source.trust_key_id = None
            source.login_sealed = source.login_key_id = None
        row.state_sealed = row.state_key_id = None
        was_live = row.state in ("active", "pending")
        if was_live:
            row.state = "expired"
        row.date_expired = row.date_expired or utcnow()
        db.flush()
        payload = serialize_session(db, row)
        if was_live:
            emit(db, row.organisation_id, row.key_id, "session", "expired", payload)
        settings = caller.settings
        if sealed_key_id and sealed_blob:
            key_id, blob = sealed_key_id, sealed_blob
            on_commit(db, lambda: enqueue_logout(settings, session_id, key_id, blob))
    delete_stored_results(caller.settings, removed.result_locations)
    payload["removed"] = removed.counts
    return payload
