"""The API's route class: a plain (``def``) handler's answer is built in its own thread.

FastAPI runs a plain handler in anyio's thread pool, then, for a route with a response
model, hops to that pool a *second* time to validate the returned dict against the
model, and only then serialises it. Every authenticated read paid both hops and anyio's
bookkeeping around each (``bench`` ``api-mix``: the hop machinery was a quarter of the
event loop's time on ``GET /organisation``).

``WireRoute`` runs such a handler through ``in_thread`` (one ``run_in_executor`` on a
pool of anyio's default size) and, in that same thread, validates and serialises its
answer exactly as FastAPI would (the same model field, the same ``dump_json``): the
bytes on the wire and the OpenAPI document do not change. A failed validation is still
FastAPI's ``ResponseValidationError`` (answered 500 in the API's error format).

Handlers that take a ``Response`` or ``BackgroundTasks`` parameter, return a ``Response``
themselves, use another response class, or answer without a body are left to FastAPI
(the first two need FastAPI to merge what they set; the rest it passes through as is).
"""

from __future__ import annotations

import asyncio
import contextvars
import functools
import inspect
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

from fastapi import BackgroundTasks, Response
from fastapi.datastructures import DefaultPlaceholder
from fastapi.dependencies.utils import get_typed_signature
from fastapi.exceptions import ResponseValidationError
from fastapi.routing import APIRoute
from fastapi.utils import is_body_allowed_for_status_code

T = TypeVar("T")

# Few threads, not anyio's 40: a handler's work is CPU under one GIL, and sqlite3 lets
# the GIL go at every statement and row, so 32 clients' requests on 40 threads spent
# their CPU handing it from thread to thread (bench ``api-mix``, one run each on 2 cores:
# GET /polls?limit=20 6.5 ms of CPU per request on 40 threads, 3.5 on 8; GET /events
# 3.7 and 2.2; no kind dearer). Waits (``Ricloud-Await``) are on the event loop, not
# here; a request beyond these queues on the loop, where it costs nothing.
REQUEST_THREADS = 8

_pool: ThreadPoolExecutor | None = None
_pool_lock = threading.Lock()


def _request_pool() -> ThreadPoolExecutor:
    global _pool
    with _pool_lock:
        if _pool is None:
            _pool = ThreadPoolExecutor(REQUEST_THREADS, thread_name_prefix="cloudtap-request")
        return _pool


async def in_thread(function: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """``function(*args, **kwargs)`` on a request thread, with this task's context
    (the log's request id): what ``run_in_threadpool`` does, without anyio's
    per-call bookkeeping."""
    context = contextvars.copy_context()
    call = functools.partial(context.run, function, *args, **kwargs)
    return await asyncio.get_running_loop().run_in_executor(_request_pool(), call)


def _merges_with_fastapi(endpoint: Callable[..., Any]) -> bool:
    """Whether a parameter asks FastAPI for a ``Response`` or ``BackgroundTasks`` it
    merges into the answer afterwards."""
    return any(
        inspect.isclass(p.annotation) and issubclass(p.annotation, (Response, BackgroundTasks))
        for p in get_typed_signature(endpoint).parameters.values()
    )


def _answered_here(endpoint: Callable[..., Any], kwargs: dict[str, Any]) -> bool:
    status = kwargs.get("status_code")
    return (
        inspect.isfunction(endpoint)
        and not inspect.iscoroutinefunction(endpoint)
        and not inspect.isgeneratorfunction(endpoint)
        and isinstance(kwargs.get("response_class", DefaultPlaceholder(None)), DefaultPlaceholder)
        and (status is None or is_body_allowed_for_status_code(status))
        and not _merges_with_fastapi(endpoint)
    )


class WireRoute(APIRoute):
    def __init__(self, path: str, endpoint: Callable[..., Any], **kwargs: Any) -> None:
        if _answered_here(endpoint, kwargs):
            endpoint = self._answering(endpoint)
        super().__init__(path, endpoint, **kwargs)

    def _answering(self, handler: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(handler)  # FastAPI reads the handler's signature through this
        async def answer(**values: Any) -> Any:
            return await in_thread(self._answer, handler, values)

        return answer

    def _answer(self, handler: Callable[..., Any], values: dict[str, Any]) -> Any:
        content = handler(**values)
        field = self.response_field
        if isinstance(content, Response) or field is None:
            return content  # FastAPI encodes a model-less answer as before
        value, errors = field.validate(content, {}, loc=("response",))
        if errors:
            raise ResponseValidationError(errors=errors, body=content)
        body = field.serialize_json(
            value,
            include=self.response_model_include,
            exclude=self.response_model_exclude,
            by_alias=self.response_model_by_alias,
            exclude_unset=self.response_model_exclude_unset,
            exclude_defaults=self.response_model_exclude_defaults,
            exclude_none=self.response_model_exclude_none,
        )
        return Response(body, status_code=self.status_code or 200, media_type="application/json")
