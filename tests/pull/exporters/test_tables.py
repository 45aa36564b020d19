"""CSV exports: nested fields become columns, unknown fields are kept."""

from __future__ import annotations

import csv
import io

from cloudtap.pull.exporters import Item
from cloudtap.pull.exporters.tables import csv_bytes


def test_nested_and_new_fields_become_columns() -> None:
    rows: list[Item] = [
        {"id": "a", "name": "Phone", "location": {"latitude": 1.5, "longitude": -2.0}},
        {"id": "b", "name": "Watch", "location": None, "battery_level": 0.5, "tags": ["x"]},
    ]
    table = list(csv.DictReader(io.StringIO(csv_bytes(rows).decode())))
    assert table[0]["location.latitude"] == "1.5" and table[0]["battery_level"] == ""
    assert table[1]["location"] == "" and table[1]["tags"] == '["x"]'
    assert list(table[0])[:2] == ["id", "name"]
