"""Runs the API's own resource handlers for the signed-in key.

The dashboard never queries objects itself: it calls the handler a ``GET``/``POST`` of
the API would run, with the visitor's ``Caller``, so scoping (organisation and
environment), validation and side effects are the API's, word for word. Parameters the
page does not give take the handler's declared defaults, so new API filters need no
change here.
"""

from __future__ import annotations

import inspect
import json
from collections.abc import Callable
from typing import Any

from fastapi import Request
from fastapi.params import Depends as DependsParam
from fastapi.responses import Response
from pydantic import BaseModel, TypeAdapter, ValidationError
from pydantic.fields import FieldInfo

from cloudtap.api.auth import Caller
from cloudtap.api.common import ListParams
from cloudtap.api.errors import ApiError
from cloudtap.dashboard.paging import Cursor
from cloudtap.dashboard.visitor import Visitor


class ActionRefused(Exception):
    """The API refused the request; ``status``/``error``/``message`` are its own."""

    def __init__(self, status: int, error: str, message: str, params: dict[str, Any]) -> None:
        super().__init__(message)
        self.status = status
        self.error = error
        self.message = message
        self.params = params

    def detail(self) -> str:
        fields = "; ".join(f"{name}: {why}" for name, why in self.params.items())
        return f"{self.message} ({fields})" if fields else self.message


def _body_type(endpoint: Callable[..., Any]) -> tuple[str, Any] | None:
    hints = inspect.get_annotations(endpoint, eval_str=True)
    for name, hint in hints.items():
        if isinstance(hint, type) and issubclass(hint, BaseModel):
            return name, hint
    return None


def _argument(param: inspect.Parameter, caller: Caller, request: Request, page: ListParams) -> Any:
    if param.name == "caller":
        return caller
    if param.name == "request":
        return request
    if isinstance(param.default, DependsParam):
        return page
    if isinstance(param.default, FieldInfo):
        default = param.default.default
        return None if default is ... else default
    return None if param.default is inspect.Parameter.empty else param.default


def call(
    endpoint: Callable[..., Any],
    caller: Caller,
    request: Request,
    *,
    body: dict[str, Any] | None = None,
    limit: int = 100,
    cursor: Cursor | None = None,
    **given: Any,
) -> dict[str, Any]:
    """What ``endpoint`` answers, as the JSON object the API would send (a list: the
    ``limit`` objects from ``cursor``, newest first)."""
    kwargs: dict[str, Any] = {}
    page = (
        ListParams(limit, None, None)
        if cursor is None
        else ListParams(limit, cursor.after_id, cursor.before_id)
    )
    body_slot = _body_type(endpoint)
    for param in inspect.signature(endpoint).parameters.values():
        if param.name in given:
            kwargs[param.name] = given[param.name]
        elif body_slot is not None and param.name == body_slot[0]:
            try:
                kwargs[param.name] = TypeAdapter(body_slot[1]).validate_python(body or {})
            except ValidationError as exc:
                params = {
                    ".".join(str(p) for p in err["loc"]) or "body": err["msg"]
                    for err in exc.errors()
                }
                raise ActionRefused(
                    400, "invalid-parameter", "Some fields are invalid.", params
                ) from exc
        else:
            kwargs[param.name] = _argument(param, caller, request, page)
    try:
        answer = endpoint(**kwargs)
    except ApiError as exc:
        raise ActionRefused(exc.status, exc.error, exc.message, exc.params) from exc
    if isinstance(answer, Response):
        decoded: dict[str, Any] = json.loads(bytes(answer.body))
        return decoded
    assert isinstance(answer, dict)
    return answer


def run(visitor: Visitor, endpoint: Callable[..., Any], **kwargs: Any) -> dict[str, Any]:
    """``call`` as the signed-in visitor."""
    return call(endpoint, visitor.caller, visitor.request, **kwargs)
