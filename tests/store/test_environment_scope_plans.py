"""A result's environment is found from its own task or poll (by id), and a source's from
its own user, not from a list of every task or user of the organisation: as ``task_id IN
(SELECT ... every task)`` SQLite built that list for each ``GET /results?poll=``, whose
cost then grew with all the organisation had ever polled (the bench's ``api-mix`` after
``files-mixed``: 8 ms of CPU, 1.5 ms on a new organisation)."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import create_engine

from cloudtap.api.resources.results import _NOT_HIDDEN
from cloudtap.store.listing import _filter_value, list_statements
from cloudtap.store.migrate import upgrade
from cloudtap.store.models import Result, Source


def _plan(database_url: str, statement: object) -> list[str]:
    engine = create_engine(database_url)
    values: dict[str, object] = {
        "scoped_organisation_id": "org",
        "scoped_environment": "sandbox",
        _filter_value("poll_id"): "poll",
        "list_limit": 11,
    }
    compiled = statement.params(values).compile(  # type: ignore[attr-defined]
        engine, compile_kwargs={"literal_binds": True}
    )
    with engine.connect() as connection:
        rows = connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {compiled}").all()
    engine.dispose()
    return [str(row[3]) for row in rows]


def test_a_polls_results_are_scoped_through_their_own_task_and_poll(tmp_path: Path) -> None:
    database_url = f"sqlite:///{tmp_path / 'plan.db'}"
    upgrade(database_url)
    statements = list_statements(Result, ("poll_id",), _NOT_HIDDEN, ())
    for statement in (statements.count, statements.newest):
        plan = _plan(database_url, statement)
        assert "SEARCH results USING INDEX ix_results_poll_id (poll_id=?)" in plan, plan
        # Each result's task and poll by their ids; never the organisation's every one.
        assert "SEARCH tasks USING INDEX ix_tasks_id (id=?)" in plan, plan
        assert "SEARCH polls USING INDEX ix_polls_id (id=?)" in plan, plan
        assert not [step for step in plan if step.startswith(("SCAN tasks", "SCAN polls"))]
        assert not [step for step in plan if "tasks USING INDEX ix_tasks_organisation" in step]


def test_a_sources_user_is_looked_up_by_id(tmp_path: Path) -> None:
    """The same for sources: each one's own user, not a list of the organisation's users
    (a service with a user per customer would build thousands for each request)."""
    database_url = f"sqlite:///{tmp_path / 'plan.db'}"
    upgrade(database_url)
    statements = list_statements(Source, (), (), ())
    for statement in (statements.count, statements.newest):
        plan = _plan(database_url, statement)
        assert "SEARCH users USING INDEX ix_users_id (id=?)" in plan, plan
        assert not [step for step in plan if "users USING INDEX ix_users_organisation" in step]
        assert not [step for step in plan if step.startswith("SCAN users")], plan
