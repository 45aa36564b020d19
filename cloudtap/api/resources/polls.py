"""``/polls``: a request for info types, data types and files of a session, run as a job.

``pending → processing → completed``; one task per requested item. Task failures show
on the tasks and in ``errors``.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Coroutine, Hashable
from functools import partial
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator
from sqlalchemy.orm import Session as DbSession

from cloudtap.api.auth import Caller, authenticate
from cloudtap.api.common import (
    ListOut,
    ListParams,
    await_seconds,
    find_scoped,
    json_bytes,
    json_response,
    list_params,
    list_resource,
    load_scoped,
    state_of,
    unit_of_work,
)
from cloudtap.api.concurrency import check_open_polls
from cloudtap.api.configured import require_configured
from cloudtap.api.errors import ApiError, invalid_parameter, not_found
from cloudtap.api.kept import KeptAnswers
from cloudtap.api.limits import (
    MAX_EXTRA_PAYLOAD_BYTES,
    MAX_FILE_ID_LENGTH,
    MAX_ID_LENGTH,
    MAX_LIST_ITEMS,
    MAX_TYPE_LENGTH,
)
from cloudtap.api.resources.results import ResultOut, links_key, signer
from cloudtap.api.routing import WireRoute
from cloudtap.api.scopes import poll_scopes, require_scopes
from cloudtap.api.waits import wait_until_settled
from cloudtap.jobs.poll_filters import InvalidFilter, filters_of
from cloudtap.ops import logs
from cloudtap.store import changes
from cloudtap.store.models import Poll, Session, Source, Subscription
from cloudtap.wire.polls import POLL_COLUMNS, serialize_new_poll, serialize_poll, serialize_polls

router = APIRouter(tags=["polls"], route_class=WireRoute)

UNSETTLED = ("pending", "processing")

TypeId = Annotated[str, Field(max_length=MAX_TYPE_LENGTH)]
FileId = Annotated[str, Field(max_length=MAX_FILE_ID_LENGTH)]
ObjectId = Annotated[str, Field(max_length=MAX_ID_LENGTH)]


class PollPayload(BaseModel):
    model_config = ConfigDict(extra="allow")

    info_types: list[TypeId] = Field(default_factory=list, max_length=MAX_LIST_ITEMS["info_types"])
    data_types: list[TypeId] = Field(default_factory=list, max_length=MAX_LIST_ITEMS["data_types"])
    files: list[FileId] = Field(default_factory=list, max_length=MAX_LIST_ITEMS["files"])
    publish_source_files: bool | None = None
    # Checked by ``filters_of`` (``filters.since/until`` canonical, top level accepted).
    since: Any = None
    until: Any = None
    filters: Any = None

    @field_validator("publish_source_files")
    @classmethod
    def _no_source_files(cls, value: bool | None) -> bool | None:
        # Source files are the raw files a service's data is read from (rirelay's
        # backups); iCloud's web services give none, so asking for them is refused
        # rather than silently ignored.
        if value:
            raise ValueError(
                "iCloud sources have no source files to publish (rirelay only); "
                "leave publish_source_files out or false"
            )
        return value

    @model_validator(mode="after")
    def _free_form_is_small(self) -> PollPayload:
        # Keys we do not know are kept and copied into the poll and its events: bound them.
        free = {**(self.model_extra or {}), "filters": self.filters}
        size = len(json.dumps(free, separators=(",", ":"), default=str))
        if size > MAX_EXTRA_PAYLOAD_BYTES:
            raise ValueError(
                f"keys other than the documented ones may hold {MAX_EXTRA_PAYLOAD_BYTES} bytes"
            )
        return self


class PollCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    # A poll names a session, or a subscription (whose session it then runs on).
    session: ObjectId | None = None
    source: ObjectId | None = None
    subscription: ObjectId | None = None
    payload: PollPayload

    @model_validator(mode="after")
    def _names_a_session(self) -> PollCreate:
        if self.session is None and self.subscription is None:
            raise ValueError("name a session or a subscription")
        return self


class PollOut(BaseModel):
    model_config = ConfigDict(extra="allow")

    id: str
    resource: str = "poll"
    organisation: str
    key: str | None
    user: str
    source: str
    session: str
    subscription: str | None
    payload: dict[str, Any]
    tasks_pending: list[str]
    tasks_processing: list[str]
    tasks_succeeded: list[str]
    tasks_failed: list[str]
    tasks_suspended: list[str]
    results: ListOut[ResultOut]
    errors: ListOut[Any]
    state: str
    error: str | None
    date_created: str | None
    date_started: str | None
    date_completed: str | None


def _load(db: DbSession, caller: Caller, poll_id: str) -> Poll:
    return load_scoped(db, Poll, caller, poll_id, "poll")


# Constants: a list's statements are kept per its conditions (``list_in_environment``).
_BY_REQUESTOR: dict[str | None, tuple[Any, ...]] = {
    "subscription": (Poll.subscription_id.is_not(None),),
    "user": (Poll.subscription_id.is_(None),),
}


@router.get("/polls", response_model=ListOut[PollOut])
def list_polls(
    request: Request,
    params: ListParams = Depends(list_params),
    session: str | None = Query(None),
    subscription: str | None = Query(None),
    source: str | None = Query(None),
    state: str | None = Query(None),
    requestor: str | None = Query(None, pattern="^(subscription|user)$"),
    caller: Caller = Depends(authenticate),
) -> Response:
    filters = {
        "session_id": session,
        "subscription_id": subscription,
        "source_id": source,
        "state": state,
    }
    extra = _BY_REQUESTOR.get(requestor, ())
    page = list_resource(
        request,
        caller,
        params,
        Poll,
        lambda db, p: serialize_poll(db, p, signer(request)),
        filters=filters,
        extra=extra,
        serialize_page=lambda db, rows: serialize_polls(
            db, rows, signer(request), links_key(request)
        ),
        columns=POLL_COLUMNS,
    )
    # Built as the response model says (tests/api/test_list_answers.py): validating
    # and re-encoding a page of objects through it costs more than building it.
    return json_response(page)


def _check_subscription(db: DbSession, caller: Caller, body: PollCreate) -> Subscription | None:
    if body.subscription is None:
        return None
    subscription = find_scoped(db, Subscription, caller, body.subscription)
    if subscription is None or subscription.state == "deleted":
        raise invalid_parameter("subscription", "no such subscription")
    if body.session is not None and body.session != subscription.session_id:
        raise invalid_parameter("session", "not the subscription's session")
    return subscription


def active_session_and_source(
    db: DbSession, caller: Caller, session_id: str | None, source_id: str | None
) -> tuple[Session, str | None]:
    """The caller's active session ``session_id``, and ``source_id`` once checked to be
    its source or one of that source's children (None when not given). Polls and
    subscriptions both run on such a pair."""
    session = find_scoped(db, Session, caller, session_id) if session_id else None
    if session is None:
        raise invalid_parameter("session", "no such session")
    if session.state == "expired":
        raise ApiError(400, "session-expired", "The session has expired.", {"session": session.id})
    if session.state != "active":
        raise invalid_parameter("session", f"the session is {session.state}, not active")
    if source_id is None:
        return session, None
    source = find_scoped(db, Source, caller, source_id)
    if source is None or (source.id != session.source_id and source.parent_id != session.source_id):
        raise invalid_parameter("source", "not the session's source or one of its children")
    return session, source.id


def _check_session(db: DbSession, caller: Caller, body: PollCreate) -> tuple[Session, str]:
    subscription = _check_subscription(db, caller, body)
    session_id = body.session or (subscription.session_id if subscription else None)
    session, source_id = active_session_and_source(db, caller, session_id, body.source)
    if source_id is None:
        source_id = subscription.source_id if subscription is not None else session.source_id
    return session, source_id


def _insert_poll(body: PollCreate, caller: Caller) -> tuple[str, dict[str, Any]]:
    """Validates and stores the poll, its "created" event and its queued job in one
    transaction; its id and the poll as written (what a client waiting 0 s gets)."""
    from cloudtap.jobs.dispatch import enqueue_new_poll
    from cloudtap.publish.events import emit

    payload = body.payload
    # An explicit empty list is a valid (empty) request: ricloud's `poll download
    # --cascade` asks for `files: []` when a result holds no file ids.
    if not ({"info_types", "data_types", "files"} & payload.model_fields_set):
        raise invalid_parameter("payload", "ask for at least one of info_types, data_types, files")
    asked = payload.model_dump()
    try:
        filters_of(asked)
    except InvalidFilter as exc:
        raise invalid_parameter(exc.field, str(exc)) from exc
    with unit_of_work(caller) as db:
        session, source_id = _check_session(db, caller, body)
        require_scopes(db, caller, poll_scopes(asked))
        require_configured(db, caller)
        check_open_polls(db, caller)
        poll = Poll(
            organisation_id=caller.organisation_id,
            key_id=caller.key_id,
            user_id=session.user_id,
            source_id=source_id,
            session_id=session.id,
            subscription_id=body.subscription,
            payload=payload.model_dump(exclude_none=True),
            errors=[],
        )
        db.add(poll)
        db.flush()
        # New: no tasks or results to read. The event is written with the job's row.
        out = serialize_new_poll(poll)
        emit(db, poll.organisation_id, poll.key_id, "poll", "created", out, flush=False)
        files = len(payload.files or [])
        enqueue_new_poll(db, caller.settings, poll.id, poll.organisation_id, poll.key_id, files)
        return poll.id, out


def _poll_out(
    caller: Caller, poll_id: str, request: Request | None, *, encoded: bool = False
) -> dict[str, Any]:
    """The poll; ``encoded``: its results as ``EncodedJson``, for ``json_response``."""
    with unit_of_work(caller) as db:
        key = links_key(request) if encoded and request is not None else None
        return serialize_poll(db, _load(db, caller, poll_id), signer(request), key)


def create_poll(body: PollCreate, request: Request, caller: Caller) -> Any:
    """Creates a poll without waiting (the dashboard calls this directly)."""
    poll_id, _created = _insert_poll(body, caller)
    return JSONResponse(_poll_out(caller, poll_id, request), status_code=201)


def retrieve_poll(poll_id: str, request: Request, caller: Caller) -> dict[str, Any]:
    """The poll as it is now (the dashboard calls this directly)."""
    if state_of(caller, Poll, poll_id) is None:
        raise not_found("poll", poll_id)
    return _poll_out(caller, poll_id, request)


# The routes are async so that ``Ricloud-Await`` waits on the event loop, never in the
# shared request thread pool; database work still runs there, briefly.
@router.post("/polls", response_model=PollOut, status_code=201)
async def create_poll_route(
    body: PollCreate, request: Request, caller: Caller = Depends(authenticate)
) -> Any:
    wait = await_seconds(request, caller.settings.await_cap_seconds)
    poll_id, created = await run_in_threadpool(_insert_poll, body, caller)
    logs.poll_id.set(poll_id)  # this request's log lines name the poll it made
    if wait <= 0:  # ricloud-py's "0": the poll as written, not read back
        return json_response(created, status_code=201)
    await wait_until_settled(caller.settings.database_url, Poll, poll_id, UNSETTLED, wait)
    out = await run_in_threadpool(partial(_poll_out, encoded=True), caller, poll_id, request)
    return json_response(out, status_code=201)


# Settled polls' answers, kept while nothing could have changed them (cloudtap.api.kept):
# a client waiting on a poll reads it again and again.
answers = KeptAnswers()


def _answer_key(caller: Caller, poll_id: str, request: Request) -> Hashable:
    """Everything a poll's answer depends on besides its rows: who may see it (the
    caller's organisation and environment) and its links (base URL, expiry minute)."""
    settings = caller.settings
    return (settings.database_url, caller.organisation_id, caller.environment, poll_id,
            links_key(request))  # fmt: skip


def _answer(caller: Caller, poll_id: str, request: Request, key: Hashable) -> Response:
    """The poll read from the database; kept if settled (and its links allow)."""
    generation = changes.generation()  # before any row is read
    out = _poll_out(caller, poll_id, request, encoded=True)
    results = out["results"]["data"]
    if out["state"] in UNSETTLED or not getattr(results, "keepable", False):
        return json_response(out)
    return answers.keep(key, json_bytes(out), generation).response(request)


_refreshes: set[asyncio.Task[None]] = set()


def _in_background(work: Coroutine[Any, Any, None]) -> None:
    task = asyncio.get_running_loop().create_task(work)
    _refreshes.add(task)  # the loop keeps only a weak reference
    task.add_done_callback(_refreshes.discard)


async def _refresh(caller: Caller, poll_id: str, request: Request, key: Hashable) -> None:
    """Builds a kept answer again before it ages out (a poll deleted meanwhile is a 404
    here: its kept answer is already void, the next request says so)."""
    try:
        await run_in_threadpool(_answer, caller, poll_id, request, key)
    except ApiError:
        pass
    finally:
        answers.refreshed(key)


def kept_answer(caller: Caller, poll_id: str, request: Request) -> Response | None:
    """The poll's kept answer as ``request`` takes it, if one holds (settled: no wait);
    answered on the event loop, no database, no thread."""
    key = _answer_key(caller, poll_id, request)
    kept = answers.get(key)
    if kept is None:
        return None
    if answers.refresh_due(key, kept):
        _in_background(_refresh(caller, poll_id, request, key))
    return kept.response(request)


@router.get("/polls/{poll_id}", response_model=PollOut)
async def retrieve_poll_route(
    poll_id: str, request: Request, caller: Caller = Depends(authenticate)
) -> Any:
    wait = await_seconds(request, caller.settings.await_cap_seconds)
    answer = kept_answer(caller, poll_id, request)
    if answer is not None:
        return answer
    key = _answer_key(caller, poll_id, request)
    if wait > 0:  # without a wait, _poll_out's own lookup answers the 404
        if await run_in_threadpool(state_of, caller, Poll, poll_id) is None:
            raise not_found("poll", poll_id)
        await wait_until_settled(caller.settings.database_url, Poll, poll_id, UNSETTLED, wait)
    return await run_in_threadpool(_answer, caller, poll_id, request, key)
