"""The iCloud web calendar service (``calendar`` → ``/ca/*``), read-only.

``/ca/events`` answers a date range (``endDate`` inclusive, dates read in ``usertz``);
``/ca/startup`` answers the same plus the collections; ``/ca/eventdetail/<pGuid>/<guid>``
one event. Invitees, alarms and recurrences ride in Apple's sidecar lists
(``Invitee``, ``Alarm``, ``Recurrence``) referenced from each event.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp

from cloudtap.sandbox.app import register_service
from cloudtap.sandbox.services import _web
from cloudtap.sandbox.services.content import events as gen
from cloudtap.sandbox.services.content.rng import today
from cloudtap.sandbox.world import SandboxWorld

# Past the window's ends: the tail of a weekly series, all-day events in far zones.
SLACK = timedelta(weeks=gen.OCCURRENCES, days=30)
# No range limit: nothing public shows Apple refusing a long one (pyicloud's get_events
# asks any from/to in one request); see docs/apple-evidence.md, Calendar.


def _user_tz(request: Request) -> ZoneInfo:
    name = request.query_params.get("usertz") or gen.HOME_TZ
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise _web.BadRequest(f"unknown usertz {name!r}") from exc


def _date_param(request: Request, name: str, default: date) -> date:
    value = request.query_params.get(name)
    if not value:
        return default
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise _web.BadRequest(f"{name} must be YYYY-MM-DD") from exc


def _range(request: Request) -> tuple[datetime, datetime, ZoneInfo] | None:
    """The asked days as [lo, hi) in ``usertz``; None when no event can fall in them."""
    tz = _user_tz(request)
    first_of_month = today().replace(day=1)
    start = _date_param(request, "startDate", first_of_month)
    end = _date_param(
        request, "endDate", (first_of_month + timedelta(days=32)).replace(day=1) - timedelta(days=1)
    )
    if end < start:
        raise _web.BadRequest("endDate is before startDate")
    # Events exist only inside the world's window: clamp to it (with room for far zones),
    # so the ends of the calendar (0001, 9999) never reach date arithmetic's limits.
    win = gen.window()
    start = max(start, win.start.date() - SLACK)
    end = min(end, win.end.date() + SLACK)
    if end < start:
        return None
    lo = datetime(start.year, start.month, start.day, tzinfo=tz)
    hi = datetime(end.year, end.month, end.day, tzinfo=tz) + timedelta(days=1)  # inclusive
    return lo, hi, tz


def _bundle(request: Request) -> gen.EventBundle:
    """The asked range's events, with the owner's edits and deletions applied."""
    account = _web.enveloping_account_of(request)
    log = _world(request).event_log
    edits, deleted = log.edits(account.apple_id), log.deleted(account.apple_id)
    bundle = gen.new_bundle()
    asked = _range(request)
    if asked is not None:
        lo, hi, tz = asked
        for occ in gen.occurrences_between(account.content, lo, hi):
            if occ.index not in deleted:
                gen.add_occurrence(bundle, account.content, occ, tz, edits.get(occ.index, 0))
    return bundle


def _world(request: Request) -> SandboxWorld:
    world: SandboxWorld = request.app.state.world
    return world


def _collections(request: Request) -> list[dict[str, object]]:
    account = _web.enveloping_account_of(request)
    marks = _world(request).event_log.marks(account.apple_id)
    return gen.collections(account.content, marks)


async def events(request: Request) -> Response:
    return JSONResponse(_bundle(request).as_reply())


async def startup(request: Request) -> Response:
    bundle = _bundle(request)
    return JSONResponse({"Collection": _collections(request), **bundle.as_reply()})


async def allcollections(request: Request) -> Response:
    return JSONResponse({"Collection": _collections(request)})


async def eventdetail(request: Request) -> Response:
    account = _web.enveloping_account_of(request)
    spec = account.content
    tz = _user_tz(request)
    guid = request.path_params["guid"]
    index = gen.index_of(spec, guid)
    log = _world(request).event_log
    if index is not None and index not in log.deleted(account.apple_id):
        wanted = guid.partition("*")[2]  # "<master>*YYYYMMDDTHHMMSS": one occurrence
        occ = next(
            (
                o
                for o in gen.series(spec, index, gen.window())
                if not wanted or f"{o.start:%Y%m%dT%H%M%S}" == wanted
            ),
            None,
        )
        if occ is not None:
            bundle = gen.new_bundle()
            gen.add_occurrence(bundle, spec, occ, tz, log.edits(account.apple_id).get(index, 0))
            if bundle.events[0]["pGuid"] == request.path_params["pguid"]:
                return JSONResponse(bundle.as_reply())
    return JSONResponse(
        {"success": False, "error": "event not found", "errorCode": 404}, status_code=404
    )


def calendar_app(world: SandboxWorld) -> ASGIApp:
    return _web.service_app(
        world,
        [
            Route("/ca/startup", startup, methods=["GET"]),
            Route("/ca/events", events, methods=["GET"]),
            Route("/ca/allcollections", allcollections, methods=["GET"]),
            Route("/ca/eventdetail/{pguid}/{guid}", eventdetail, methods=["GET"]),
        ],
    )


register_service("calendar", calendar_app)
register_service("calendarws", calendar_app)  # Apple's own host name
