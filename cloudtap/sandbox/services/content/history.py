"""Safari history visits (``com.apple.SafariShared.WBSCloudHistoryStore``).

Visit ``i`` sits in slot ``i`` of the past year (Safari's longest history setting).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from cloudtap.sandbox.accounts.model import ContentSpec
from cloudtap.sandbox.services.content import words
from cloudtap.sandbox.services.content.rng import item_rng, item_uuid, spread

KIND = "history"
RETENTION_DAYS = 365
DEVICES = ("iPhone", "iPad", "MacBook Pro")


@dataclass(frozen=True)
class Visit:
    index: int
    id: str
    url: str
    title: str
    visit_time: datetime
    visit_count: int
    load_successful: bool
    device: str


def visit(spec: ContentSpec, index: int, now: datetime) -> Visit:
    rng = item_rng(spec.seed, KIND, index)
    at = spread(index, spec.history, now - timedelta(days=RETENTION_DAYS), now, rng)
    host, site_title = rng.choice(words.WEB_SITES)
    path = rng.choice(words.WEB_PATHS)
    return Visit(
        index=index,
        id=item_uuid(spec.seed, KIND, index),
        url=f"https://{host}/{path}",
        title=site_title if not path else f"{path.split('/')[-1] or site_title} - {site_title}",
        visit_time=at,
        visit_count=1 + int(rng.expovariate(0.5)),
        load_successful=rng.random() > 0.02,
        device=rng.choice(DEVICES),
    )
