"""``cloudtap serve`` as the bench runs it: the real app plus one bare endpoint.

``GET /bench/bare`` is the yardstick of ``api-mix``: a bare FastAPI app (no middleware,
no other route) doing what every authenticated request must do, the same
``authenticate`` and one indexed read (the caller's organisation by primary key) on the
same database engine. ``GET /bench/heap`` says where the process's memory sits
(``heap_probe.py``; ``POST /bench/heap/mark`` starts tracemalloc, then
``GET /bench/heap?grown=N`` lists what was allocated since and is still alive;
``POST /bench/heap/garbage`` collects and says what only cycles had kept).
They exist only in this bench launcher, never in ``cloudtap serve``:
``python -m bench.runner.bench_serve serve ...`` takes ``cloudtap``'s own arguments.
"""

from __future__ import annotations

from typing import Any

from fastapi import Depends, FastAPI
from sqlalchemy import select
from starlette.types import ASGIApp, Receive, Scope, Send

import cloudtap.app
from bench.runner.heap_probe import TRACED, cyclic_garbage, heap_report
from cloudtap.api.auth import Caller, authenticate
from cloudtap.api.errors import install_error_handlers
from cloudtap.config import Settings, get_settings
from cloudtap.store.db import transaction
from cloudtap.store.models import Organisation

BARE_PATH = "/bench/bare"
HEAP_PATH = "/bench/heap"


def bare_app(settings: Settings) -> FastAPI:
    app = FastAPI(docs_url=None, redoc_url=None, openapi_url=None)
    app.state.settings = settings
    install_error_handlers(app)  # a refused token gets the API's 401, not a 500

    @app.get(BARE_PATH)
    def bare(caller: Caller = Depends(authenticate)) -> dict[str, Any]:
        # A sync route, as the API's own: its query runs in the thread pool.
        with transaction(settings.database_url) as db:
            name = db.execute(
                select(Organisation.name).where(Organisation.id == caller.organisation_id)
            ).scalar_one()
        return {"organisation": caller.organisation_id, "name": name}

    @app.get(HEAP_PATH)
    def heap(grown: int = 0, caller: Caller = Depends(authenticate)) -> dict[str, Any]:
        return {**heap_report(), "grown": TRACED.since_mark(grown)}

    @app.post(HEAP_PATH + "/garbage")
    def garbage(caller: Caller = Depends(authenticate)) -> dict[str, Any]:
        return cyclic_garbage()

    @app.post(HEAP_PATH + "/mark")
    def mark(caller: Caller = Depends(authenticate)) -> dict[str, bool]:
        return {"tracing": TRACED.mark()}

    return app


class WithBareEndpoint:
    """``/bench/...`` to the bare app; everything else (lifespan too) to cloudtap's."""

    def __init__(self, api: ASGIApp, bare: ASGIApp) -> None:
        self.api = api
        self.bare = bare

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"].startswith("/bench/"):
            await self.bare(scope, receive, send)
        else:
            await self.api(scope, receive, send)


_real_create_app = cloudtap.app.create_app


def create_app_with_bare_endpoint(settings: Settings | None = None) -> Any:
    settings = settings or get_settings()
    return WithBareEndpoint(_real_create_app(settings), bare_app(settings))


def main() -> None:
    from cloudtap.cli.main import app as cli

    # ``serve`` imports ``create_app`` when it runs: it finds this one.
    cloudtap.app.create_app = create_app_with_bare_endpoint
    cli()


if __name__ == "__main__":
    main()
