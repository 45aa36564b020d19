"""A kept poll answer (``cloudtap.api.kept``) without routing or dependency solving.

``GET /polls/{poll_id}`` of a settled poll is what a waiting ricloud client repeats; its
answer is kept in memory, and what it still cost was matching the route (deep in the
list) and FastAPI's solving of its dependencies. ``KeptPollAnswers`` sits just in front
of the router, inside every other middleware (request ids, logs, metrics, rate limits,
body cap, idempotency, audit), and answers such a request itself only when the route
would answer the same kept bytes:

- exactly ``GET``, path ``/polls/<id>`` (one segment, the route's ``{poll_id}``), no
  query string;
- ``Ricloud-Await`` absent or not above 0 (the route would wait otherwise, or answer 400);
- the token names a key remembered now by ``cloudtap.api.auth`` (the same cache the
  route's ``authenticate`` uses, forgotten when a key changes);
- ``polls.kept_answer`` has the answer for that caller's organisation and environment.

Anything else goes on to the router unchanged, which answers as it always did (401,
404, waits, a fresh answer). What is kept, and for whom, is decided by ``polls`` and
``kept`` alone.
"""

from __future__ import annotations

from collections.abc import Sequence

from fastapi.routing import APIRoute
from starlette.requests import Request
from starlette.routing import BaseRoute, Match, Router
from starlette.types import ASGIApp, Receive, Scope, Send

from cloudtap.api.auth import remembered_caller
from cloudtap.api.resources import polls

PREFIX = "/polls/"
_PROBE_ID = "fastpath-probe"


def _first_match(routes: Sequence[BaseRoute], probe: Scope) -> BaseRoute | None:
    """The poll route if it is what ``routes`` pick for ``probe``, looking into included
    routers (FastAPI keeps each ``include_router`` as one route of the app's router)."""
    for route in routes:
        match, _ = route.matches(probe)
        if match != Match.FULL:  # a partial match (another method) is taken only if none is full
            continue
        inner = getattr(route, "original_router", None)
        if isinstance(inner, Router):
            return _first_match(inner.routes, probe)
        if isinstance(route, APIRoute) and route.endpoint is polls.retrieve_poll_route:
            return route
        return None
    return None


class KeptPollAnswers:
    def __init__(self, app: ASGIApp, router: Router) -> None:
        self.app = app
        self.router = router
        self._route: BaseRoute | None = None
        self._checked = False

    def poll_route(self) -> BaseRoute | None:
        """The route the router picks for ``GET /polls/<id>`` if it is the poll route
        (``retrieve_poll_route``), else None and no fast path: checked once."""
        if not self._checked:
            probe: Scope = {
                "type": "http",
                "method": "GET",
                "path": PREFIX + _PROBE_ID,
                "root_path": "",
                "headers": [],
                "query_string": b"",
            }
            self._route = _first_match(self.router.routes, probe)
            self._checked = True
        return self._route

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] == "http"
            and scope["method"] == "GET"
            and not scope.get("query_string")
            and not scope.get("root_path")
        ):
            path: str = scope["path"]
            poll_id = path[len(PREFIX) :]
            if path.startswith(PREFIX) and poll_id and "/" not in poll_id:
                route = self.poll_route()
                if route is not None and await self._answer(route, poll_id, scope, receive, send):
                    return
        await self.app(scope, receive, send)

    async def _answer(
        self, route: BaseRoute, poll_id: str, scope: Scope, receive: Receive, send: Send
    ) -> bool:
        request = Request(scope, receive)
        raw = request.headers.get("ricloud-await")
        if raw:
            try:
                if not float(raw) <= 0:
                    return False
            except ValueError:
                return False  # the route answers its 400
        caller = remembered_caller(request)
        if caller is None:
            return False
        answer = polls.kept_answer(caller, poll_id, request)
        if answer is None:
            return False
        # As the router would have set them: metrics count the route, logs name the poll.
        scope["route"] = route
        scope["endpoint"] = polls.retrieve_poll_route
        scope["path_params"] = {"poll_id": poll_id}
        await answer(scope, receive, send)
        return True
