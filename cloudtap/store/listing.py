"""Scoped lookups and cursor pagination shared by every resource.

Lists are newest first. ``after_id`` continues past an object (older ones);
``before_id`` returns the objects just newer than it.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from sqlalchemy import Integer, Select, bindparam, func, select
from sqlalchemy.orm import Session as DbSession
from sqlalchemy.sql.elements import BindParameter

from cloudtap.store.environments import environment_scope
from cloudtap.store.kept_counts import KEPT_MODELS, CountStatements, count_statements, kept_total
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


# A list's statements (its count, the cursor's lookup, the page newest first, after or
# before a cursor) built once per shape and bound per request: building them, their ORM
# compile state and SQLAlchemy's cache key cost more than running them on an index
# (``bench`` ``api-mix``: GET /events, /results?poll=, /polls). A shape is the model, which
# filters are given (their values are bound), the ``extra`` conditions and ``columns``.
# ``extra`` conditions are keyed by identity (an SQL expression's ``==`` builds SQL), so
# callers pass module-level constants; the entry holds them, so an id is not reused while
# it is kept. Bounded: a caller building its conditions per request only misses.
MAX_LIST_SHAPES = 256
_CURSOR_ID: BindParameter[str] = bindparam("list_cursor_id")
_CURSOR_PK: BindParameter[int] = bindparam("list_cursor_pk", type_=Integer)
_LIMIT: BindParameter[int] = bindparam("list_limit", type_=Integer)


@dataclass(frozen=True)
class ListStatements:
    count: Select[Any]
    cursor: Select[Any]
    newest: Select[Any]
    after: Select[Any]
    before: Select[Any]
    # What the key's ids name; kept so that they stay this shape's own.
    held: tuple[Any, ...]
    # An unfiltered list of a table that grows with history: its count is kept on SQLite.
    kept: CountStatements | None = None


_LIST_SHAPES: OrderedDict[tuple[Any, ...], ListStatements] = OrderedDict()
_LIST_SHAPES_LOCK = threading.Lock()


def _filter_value(name: str) -> str:
    return f"list_filter_{name}"


def _build_list_statements(
    model: type[Base],
    filter_names: tuple[str, ...],
    extra: tuple[Any, ...],
    columns: tuple[Any, ...],
) -> ListStatements:
    column: Any = model
    scope = environment_scope(model, _ORGANISATION, _ENVIRONMENT)  # type: ignore[arg-type]
    visible = [column.organisation_id == _ORGANISATION, *scope]
    conditions = [
        *visible,
        *(getattr(column, name) == bindparam(_filter_value(name)) for name in filter_names),
        *extra,
    ]
    page = (select(*columns) if columns else select(model)).where(*conditions)
    # Only a list whose rows never leave it but by deletion: filters and ``extra`` may
    # name a column that changes (a poll's state).
    keeps = model in KEPT_MODELS and not filter_names and not extra
    return ListStatements(
        count=select(func.count()).select_from(model).where(*conditions),
        cursor=select(column.pk).where(column.id == _CURSOR_ID, *visible),
        newest=page.order_by(column.pk.desc()).limit(_LIMIT),
        after=page.where(column.pk < _CURSOR_PK).order_by(column.pk.desc()).limit(_LIMIT),
        before=page.where(column.pk > _CURSOR_PK).order_by(column.pk.asc()).limit(_LIMIT),
        held=(extra, columns),
        kept=count_statements(model, conditions) if keeps else None,
    )


def list_statements(
    model: type[Base],
    filter_names: tuple[str, ...] = (),
    extra: Sequence[Any] = (),
    columns: Sequence[Any] = (),
) -> ListStatements:
    """The prepared statements of one list shape (see ``list_in_environment``)."""
    key = (model, filter_names, tuple(map(id, extra)), tuple(map(id, columns)))
    with _LIST_SHAPES_LOCK:
        found = _LIST_SHAPES.get(key)
        if found is not None:
            _LIST_SHAPES.move_to_end(key)
            return found
    built = _build_list_statements(model, filter_names, tuple(extra), tuple(columns))
    with _LIST_SHAPES_LOCK:
        _LIST_SHAPES[key] = built
        while len(_LIST_SHAPES) > MAX_LIST_SHAPES:
            _LIST_SHAPES.popitem(last=False)
    return built


def list_in_environment(
    db: DbSession,
    model: type[Row],
    organisation_id: str,
    environment: str,
    *,
    filters: Mapping[str, Any] | None = None,
    limit: int = 10,
    after_id: str | None = None,
    before_id: str | None = None,
    extra: Sequence[Any] = (),
    columns: Sequence[Any] = (),
) -> Page[Any]:
    """``list_scoped`` with ``scope=environment_scope(model, organisation_id, environment)``
    through statements prepared once per shape (``list_statements``): the same rows, the
    same count, the same cursors. ``extra``: module-level conditions (see above). Reads
    what is flushed (counts and plain rows skip the session's autoflush)."""
    given = {name: value for name, value in (filters or {}).items() if value is not None}
    statements = list_statements(model, tuple(given), extra, columns)
    values: dict[str, Any] = {
        "scoped_organisation_id": organisation_id,
        "scoped_environment": environment,
        **{_filter_value(name): value for name, value in given.items()},
    }
    # Counts, cursors and plain rows through the connection itself: the ORM session's
    # execution layer costs as much again as running them (objects need the session).
    # Fine for a read in a unit of work of its own, as every list is: nothing unflushed.
    connection = db.connection()
    if statements.kept is not None and connection.dialect.name == "sqlite":
        where = (connection.engine.url, model, organisation_id, environment)
        total = kept_total(connection, statements.kept, values, where)
    else:
        total = connection.scalar(statements.count, values) or 0

    def cursor_pk(parameter: str, object_id: str) -> int:
        pk = connection.scalar(statements.cursor, {**values, "list_cursor_id": object_id})
        if pk is None:
            raise UnknownCursor(parameter)
        return int(pk)

    fetch: Any = connection.execute if columns else db.scalars
    if before_id is not None:
        bound = {**values, "list_cursor_pk": cursor_pk("before_id", before_id)}
        rows = list(fetch(statements.before, {**bound, "list_limit": limit + 1}))
        return Page(list(reversed(rows[:limit])), len(rows) > limit, total)
    if after_id is not None:
        bound = {**values, "list_cursor_pk": cursor_pk("after_id", after_id)}
        rows = list(fetch(statements.after, {**bound, "list_limit": limit + 1}))
    else:
        rows = list(fetch(statements.newest, {**values, "list_limit": limit + 1}))
    return Page(rows[:limit], len(rows) > limit, total)


def kept_list_shapes() -> int:
    """How many list shapes' statements are kept (bounded by ``MAX_LIST_SHAPES``)."""
    with _LIST_SHAPES_LOCK:
        return len(_LIST_SHAPES)
