"""The last known items of each data type, kept under ``.cloudtap-pull/items/``.

Exports are rewritten from the whole set, so an incremental listing (only what changed)
is merged into what earlier pulls saw before any export is written.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from cloudtap.pull.paths import PRIVATE_DIR, PRIVATE_FILE, inside, write_new
from cloudtap.pull.state import STATE_DIR

Item = dict[str, Any]


class ItemStore:
    def __init__(self, root: Path) -> None:
        self.root = root

    def _path(self, data_type: str) -> Path:
        """Checked on every use: a symlink out of the folder is refused (OutsideCopy)."""
        return inside(self.root, f"{STATE_DIR}/items/{data_type}.json")

    def load(self, data_type: str) -> dict[str, Item]:
        path = self._path(data_type)
        if not path.exists():
            return {}
        loaded = json.loads(path.read_text())
        if not isinstance(loaded, dict):
            raise ValueError(f"{path} does not hold a pull's items")
        return loaded

    def save(self, data_type: str, items: dict[str, Item]) -> None:
        path = self._path(data_type)
        path.parent.mkdir(mode=PRIVATE_DIR, parents=True, exist_ok=True)
        write_new(path, json.dumps(items, ensure_ascii=False).encode(), PRIVATE_FILE)
