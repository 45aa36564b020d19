"""A page of polls read as plain rows through statements built once (``GET /polls``)
gives each poll exactly as ``serialize_poll`` reads it alone, on both engines."""

from __future__ import annotations

from sqlalchemy import select

from cloudtap.store.accounts import create_organisation, get_or_create_source, get_or_create_user
from cloudtap.store.db import transaction
from cloudtap.store.migrate import upgrade
from cloudtap.store.models import Poll, Result, Session, Task
from cloudtap.wire.polls import POLL_COLUMNS, serialize_new_poll, serialize_poll, serialize_polls


def test_a_page_of_plain_rows_serializes_as_each_poll_alone(database_url: str) -> None:
    upgrade(database_url)
    with transaction(database_url) as db:
        org = create_organisation(db, "Acme")
        user, _ = get_or_create_user(db, org.id, "alice", None)
        source = get_or_create_source(db, org.id, user.id, "icloud.account", "a@b.c")
        session = Session(organisation_id=org.id, user_id=user.id, source_id=source.id)
        db.add(session)
        db.flush()
        for n in range(3):
            poll = Poll(
                organisation_id=org.id,
                user_id=user.id,
                source_id=source.id,
                session_id=session.id,
                payload={"data_types": ["fmip.devices"], "n": n},
                errors=[],
            )
            db.add(poll)
            db.flush()
            for state in ("succeeded", "failed")[: n + 1]:
                task = Task(
                    organisation_id=org.id, poll_id=poll.id, type="fmip.devices", target="x"
                )
                task.state = state
                db.add(task)
                db.flush()
                db.add(
                    Result(
                        organisation_id=org.id,
                        poll_id=poll.id,
                        task_id=task.id,
                        identifier="fmip.devices",
                        type="json",
                        location=f"/tmp/{task.id}.json",
                        url=f"local:///tmp/{task.id}.json",
                        size=2,
                        checksum="0" * 32,
                    )
                )
        fresh = Poll(
            organisation_id=org.id,
            user_id=user.id,
            source_id=source.id,
            session_id=session.id,
            payload={"files": []},
            errors=[],
        )
        db.add(fresh)
        db.flush()
        as_written = serialize_new_poll(fresh)
    with transaction(database_url) as db:
        objects = list(db.scalars(select(Poll).order_by(Poll.pk)))
        rows = list(db.execute(select(*POLL_COLUMNS).order_by(Poll.pk)))
        alone = [serialize_poll(db, poll) for poll in objects]
        assert serialize_polls(db, rows) == alone
        assert [len(p["results"]["data"]) for p in alone] == [1, 2, 2, 0]
        assert alone[2]["tasks_failed"] and alone[2]["tasks_succeeded"]
        # A poll as POST /polls writes it is what reading it back gives.
        assert as_written == alone[-1]
