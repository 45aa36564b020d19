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
UNICODE_EVERY, UNICODE_AT = 11, 3  # pages with non-ASCII addresses and titles
UNTITLED_EVERY, UNTITLED_AT = 17, 5  # pages that never reported a title
UNICODE_PAGES = (
    ("https://ja.wikipedia.org/wiki/東京", "東京 - Wikipedia"),
    ("https://www.bücher.de/suche?q=café", "Bücher & Café \u2013 Suche"),
    ("https://example.com/emoji/🍋", "🍋 Lemons"),
)


@dataclass(frozen=True)
class Visit:
    index: int
    id: str
    url: str
    title: str | None
    visit_time: datetime
    visit_count: int
    load_successful: bool
    device: str


def visit(spec: ContentSpec, index: int, now: datetime) -> Visit:
    rng = item_rng(spec.seed, KIND, index)
    at = spread(index, spec.history, now - timedelta(days=RETENTION_DAYS), now, rng)
    host, site_title = rng.choice(words.WEB_SITES)
    path = rng.choice(words.WEB_PATHS)
    url = f"https://{host}/{path}"
    title: str | None = (
        site_title if not path else f"{path.split('/')[-1] or site_title} - {site_title}"
    )
    if index % UNICODE_EVERY == UNICODE_AT:
        url, title = UNICODE_PAGES[(index // UNICODE_EVERY) % len(UNICODE_PAGES)]
    if index % UNTITLED_EVERY == UNTITLED_AT:
        title = None
    return Visit(
        index=index,
        id=item_uuid(spec.seed, KIND, index),
        url=url,
        title=title,
        visit_time=at,
        visit_count=1 + int(rng.expovariate(0.5)),
        load_successful=rng.random() > 0.02,
        device=rng.choice(DEVICES),
    )
