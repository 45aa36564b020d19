"""JSON columns are read with orjson (``store/db.py``), and what orjson would read
differently (an integer beyond 64 bits, which it makes a float) or refuses (``NaN``)
still reads as the standard library wrote it."""

from __future__ import annotations

import math
from pathlib import Path

from sqlalchemy import select

from cloudtap.store.accounts import create_organisation
from cloudtap.store.db import transaction
from cloudtap.store.migrate import upgrade
from cloudtap.store.models import Event


def test_json_columns_read_back_what_was_written(database_url: str) -> None:
    upgrade(database_url)
    ordinary = {"devices": [{"id": "a", "battery": 0.5, "ok": True, "none": None}], "n": 3}
    unusual = {"big": 2**70 + 1, "negative": -(2**65) - 3, "id": 10**18 + 7, "f": 1e300}
    with transaction(database_url) as db:
        org = create_organisation(db, "Acme")
        for data in (ordinary, unusual):
            db.add(Event(organisation_id=org.id, type="poll", action="created", data=data))
    with transaction(database_url) as db:
        read = list(db.scalars(select(Event.data).order_by(Event.pk)))
    assert read == [ordinary, unusual]


def test_a_nan_written_by_the_standard_library_reads_back(tmp_path: Path) -> None:
    """SQLite only: PostgreSQL's json type refuses NaN when it is written."""
    database_url = f"sqlite:///{tmp_path / 'nan.db'}"
    upgrade(database_url)
    with transaction(database_url) as db:
        org = create_organisation(db, "Acme")
        db.add(Event(organisation_id=org.id, type="poll", action="created", data={"x": math.nan}))
    with transaction(database_url) as db:
        [data] = list(db.scalars(select(Event.data)))
    assert math.isnan(data["x"])
