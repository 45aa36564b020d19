"""Scoped lookups and cursor pagination shared by every resource.

Lists are newest first. ``after_id`` continues past an object (older ones);
``before_id`` returns the objects just newer than it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from sqlalchemy import Select, bindparam, func, select
from sqlalchemy.orm import Session as DbSession
from sqlalchemy.sql.elements import BindParameter

from cloudtap.store.environments import environment_scope
from cloudtap.store.models import Base

Row = TypeVar("Row", bound=Base)
T = TypeVar("T")


class UnknownCursor(Exception):
    """``after_id``/``before_id`` names no object the caller can see."""

    def __init__(self, parameter: str) -> None:
        super().__init__(parameter)
        self.parameter = parameter


@dataclass(frozen=True)
class Page(Generic[T]):
    items: list[T]
    has_more: bool
    total_count: int


def get_scoped(
    db: DbSession,
    model: type[Row],
    organisation_id: str,
    object_id: str,
    scope: Sequence[Any] = (),
) -> Row | None:
    """The object with this id if it belongs to the organisation (and ``scope``), else None."""
    column: Any = model
    stmt = select(model).where(
        column.id == object_id, column.organisation_id == organisation_id, *scope
    )
    return db.scalars(stmt).first()


# One lookup statement per model, its values bound at each call: building a statement
# (and its ORM compile state) costs more than running it on an indexed column, and
# every by-id request (GET /sessions/{id}, /polls/{id}, ...) makes one.
_BY_ID_IN_ENVIRONMENT: dict[type[Base], Select[Any]] = {}
_ID: BindParameter[str] = bindparam("scoped_object_id")
_ORGANISATION: BindParameter[str] = bindparam("scoped_organisation_id")
_ENVIRONMENT: BindParameter[str] = bindparam("scoped_environment")


def _by_id_in_environment(model: type[Base]) -> Select[Any]:
    statement = _BY_ID_IN_ENVIRONMENT.get(model)
    if statement is None:
        column: Any = model
        # The environment's conditions (subqueries for most models) hold bound values too.
        scope = environment_scope(model, _ORGANISATION, _ENVIRONMENT)  # type: ignore[arg-type]
        statement = select(model).where(
            column.id == _ID, column.organisation_id == _ORGANISATION, *scope
        )
        _BY_ID_IN_ENVIRONMENT[model] = statement
    return statement


def get_in_environment(
    db: DbSession, model: type[Row], organisation_id: str, environment: str, object_id: str
) -> Row | None:
    """``get_scoped`` with ``environment_scope(model, organisation_id, environment)``."""
    values = {
        "scoped_object_id": object_id,
        "scoped_organisation_id": organisation_id,
        "scoped_environment": environment,
    }
    found: Row | None = db.scalars(_by_id_in_environment(model), values).first()
    return found


def list_scoped(
    db: DbSession,
    model: type[Row],
    organisation_id: str,
    *,
    filters: Mapping[str, Any] | None = None,
    limit: int = 10,
    after_id: str | None = None,
    before_id: str | None = None,
    extra: list[Any] | None = None,
    scope: Sequence[Any] = (),
    columns: Sequence[Any] = (),
) -> Page[Any]:
    """``scope`` limits the rows like ``extra`` but also which ids are valid cursors.
    ``columns``: the page as plain rows of these columns (named like the model's
    attributes), many times cheaper to load than ORM objects, instead of objects."""
    column: Any = model
    visible: list[Any] = [column.organisation_id == organisation_id, *scope]
    conditions: list[Any] = list(visible)
    for name, value in (filters or {}).items():
        if value is not None:
            conditions.append(getattr(column, name) == value)
    conditions.extend(extra or [])
    total = db.scalar(select(func.count()).select_from(model).where(*conditions)) or 0

    def cursor_pk(parameter: str, object_id: str) -> int:
        pk = db.scalar(select(column.pk).where(column.id == object_id, *visible))
        if pk is None:
            raise UnknownCursor(parameter)
        return int(pk)

    stmt = (select(*columns) if columns else select(model)).where(*conditions)
    fetch: Any = db.execute if columns else db.scalars
    if before_id is not None:
        pk = cursor_pk("before_id", before_id)
        stmt = stmt.where(column.pk > pk).order_by(column.pk.asc()).limit(limit + 1)
        rows = list(fetch(stmt))
        has_more = len(rows) > limit
        return Page(list(reversed(rows[:limit])), has_more, total)
    if after_id is not None:
        stmt = stmt.where(column.pk < cursor_pk("after_id", after_id))
    rows = list(fetch(stmt.order_by(column.pk.desc()).limit(limit + 1)))
    return Page(rows[:limit], len(rows) > limit, total)
