"""The sandbox's Apple IDs as an integrator sees them: password, code, scenario and the
size of their photo library (for ``cloudtap sandbox accounts`` and the dashboard)."""

from __future__ import annotations

from dataclasses import dataclass

from cloudtap.config import Settings
from cloudtap.sandbox.photos.counts import photo_count
from cloudtap.sandbox.runtime import sandbox_accounts


@dataclass(frozen=True)
class CatalogueEntry:
    apple_id: str
    password: str
    code: str | None
    scenario: str
    photo_count: int


def catalogue(settings: Settings) -> list[CatalogueEntry]:
    return [
        CatalogueEntry(a.apple_id, a.password, a.code, a.scenario, photo_count(a))
        for a in sandbox_accounts(settings)
    ]
