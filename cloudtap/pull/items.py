"""The last known items of each data type, kept under ``.cloudtap-pull/items/``.

Exports are rewritten from the whole set, so an incremental listing (only what changed)
is merged into what earlier pulls saw before any export is written.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

Item = dict[str, Any]


class ItemStore:
    def __init__(self, state_dir: Path) -> None:
        self.dir = state_dir / "items"

    def _path(self, data_type: str) -> Path:
        return self.dir / f"{data_type}.json"

    def load(self, data_type: str) -> dict[str, Item]:
        path = self._path(data_type)
        if not path.exists():
            return {}
        loaded: dict[str, Item] = json.loads(path.read_text())
        return loaded

    def save(self, data_type: str, items: dict[str, Item]) -> None:
        self.dir.mkdir(parents=True, exist_ok=True)
        path = self._path(data_type)
        tmp = path.with_name(f".{path.name}.tmp")
        tmp.write_text(json.dumps(items, ensure_ascii=False))
        os.replace(tmp, path)
