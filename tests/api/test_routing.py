"""``WireRoute``: a plain handler's answer is built in its own thread, byte for byte what
FastAPI's own route answers (model defaults, dropped fields, status, errors, headers)."""

from __future__ import annotations

import threading
from contextvars import ContextVar
from typing import Any

from fastapi import APIRouter, FastAPI, Response
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from pydantic import BaseModel

from cloudtap.api.errors import install_error_handlers
from cloudtap.api.routing import WireRoute

seen: ContextVar[str] = ContextVar("seen", default="none")


class ThingOut(BaseModel):
    id: str
    resource: str = "thing"  # a default the handler leaves out
    size: int


def _app(route_class: type[APIRoute]) -> FastAPI:
    router = APIRouter(route_class=route_class)

    @router.get("/things/{thing_id}", response_model=ThingOut)
    def thing(thing_id: str) -> dict[str, Any]:
        return {"id": thing_id, "size": "3", "secret": "not in the model"}

    @router.post("/things", response_model=ThingOut, status_code=201)
    def create() -> dict[str, Any]:
        return {"id": "new", "size": 1}

    @router.get("/broken", response_model=ThingOut)
    def broken() -> dict[str, Any]:
        return {"id": "x"}  # no size: the answer breaks its model

    @router.get("/context")
    def context() -> dict[str, Any]:
        return {"seen": seen.get(), "thread": threading.current_thread().name}

    @router.get("/headers", response_model=ThingOut)
    def headers(response: Response) -> dict[str, Any]:
        response.headers["X-Set-By-Handler"] = "yes"
        return {"id": "h", "size": 2}

    app = FastAPI()
    install_error_handlers(app)

    @app.middleware("http")
    async def mark(request: Any, call_next: Any) -> Any:
        seen.set("request")
        return await call_next(request)

    app.include_router(router)
    return app


def test_answers_are_what_fastapis_own_route_answers() -> None:
    with TestClient(_app(APIRoute)) as plain, TestClient(_app(WireRoute)) as wire:
        for method, path in [("GET", "/things/a"), ("POST", "/things"), ("GET", "/headers")]:
            theirs, ours = plain.request(method, path), wire.request(method, path)
            assert ours.status_code == theirs.status_code
            assert ours.content == theirs.content
            assert ours.headers.get("content-type") == theirs.headers.get("content-type")
            assert ours.headers.get("x-set-by-handler") == theirs.headers.get("x-set-by-handler")
        assert wire.get("/things/a").json() == {"id": "a", "resource": "thing", "size": 3}
        assert wire.post("/things").status_code == 201
        assert wire.get("/headers").headers["x-set-by-handler"] == "yes"


def test_an_answer_breaking_its_model_is_a_500_in_the_error_format() -> None:
    with TestClient(_app(WireRoute), raise_server_exceptions=False) as wire:
        answer = wire.get("/broken")
    assert answer.status_code == 500
    assert answer.json() == {
        "error": "server-error",
        "message": "An unexpected error occurred.",
        "params": {},
    }


def test_the_handler_runs_on_a_request_thread_with_the_requests_context() -> None:
    with TestClient(_app(WireRoute)) as wire:
        answer = wire.get("/context").json()
    assert answer["seen"] == "request"
    assert answer["thread"].startswith("cloudtap-request")
