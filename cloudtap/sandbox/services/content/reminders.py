"""An account's Reminders: its lists and reminders, the ground truth tests compare with.

Every account holds the ``basic`` plan (two lists, a few generated reminders). ``rich``
adds a hand-written set covering every field the CloudKit records carry (due dates in
time zones on both sides of UTC, all-day ones, date and location alarms, priorities,
flags, completion, recurrence, subtasks, URLs, tags) and a shared list. ``upgraded``
(``reminders-upgraded@``) holds more lists; its legacy ``rd/startup`` view is the two
placeholders Apple shows for lists upgraded since iOS 13 (``sandbox.services.reminders``).
Dates are fixed instants, so a test can state them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

from cloudtap.sandbox.accounts.model import ContentSpec
from cloudtap.sandbox.services.content.rng import item_rng, item_uuid

KIND = "reminder"

# Apple's Reminders frequencies, zero-based on the wire (pyicloud RecurrenceFrequency).
DAILY, WEEKLY, MONTHLY, YEARLY = 0, 1, 2, 3
ARRIVING, LEAVING = 1, 2
_TASKS = (
    "Water the plants",
    "Return library books",
    "Buy stamps",
    "Book dentist",
    "Renew passport",
)


@dataclass(frozen=True)
class ReminderList:
    id: str
    name: str
    color_name: str  # CloudKit's symbolic colour name
    color_hex: str
    shared: bool = False


@dataclass(frozen=True)
class Recurrence:
    frequency: int  # DAILY .. YEARLY
    interval: int = 1
    count: int = 0  # 0: open-ended


@dataclass(frozen=True)
class DateAlarm:
    id: str
    trigger_id: str
    at: datetime  # aware, in the time zone the alarm names


@dataclass(frozen=True)
class LocationAlarm:
    id: str
    trigger_id: str
    title: str
    address: str
    latitude: float
    longitude: float
    radius: float
    proximity: int  # ARRIVING | LEAVING


Alarm = DateAlarm | LocationAlarm


@dataclass(frozen=True)
class Reminder:
    id: str
    list_id: str
    title: str
    created: datetime
    modified: datetime
    notes: str = ""
    # A timed reminder's due moment, aware in ``time_zone``; an all-day one's day.
    due: datetime | None = None
    due_day: date | None = None
    time_zone: str | None = None
    priority: int = 0  # 0 none, 1 high, 5 medium, 9 low
    flagged: bool = False
    completed_at: datetime | None = None
    alarms: tuple[Alarm, ...] = ()
    recurrence: Recurrence | None = None
    recurrence_id: str | None = None
    parent_id: str | None = None
    url: str | None = None
    url_id: str | None = None
    tags: tuple[tuple[str, str], ...] = ()  # (record id, name)

    @property
    def completed(self) -> bool:
        return self.completed_at is not None

    @property
    def all_day(self) -> bool:
        return self.due_day is not None


@dataclass(frozen=True)
class World:
    lists: tuple[ReminderList, ...]
    reminders: tuple[Reminder, ...]

    def of_list(self, list_id: str) -> list[Reminder]:
        return [r for r in self.reminders if r.list_id == list_id]


def _at(text: str, zone: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=ZoneInfo(zone))


def _utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


class _Ids:
    def __init__(self, seed: int) -> None:
        self.seed, self.n = seed, 0

    def __call__(self) -> str:
        self.n += 1
        return item_uuid(self.seed, KIND, self.n)


def _basic(spec: ContentSpec, ids: _Ids, names: tuple[str, ...]) -> World:
    palette = (("blue", "#1BADF8"), ("green", "#63DA38"), ("purple", "#CC73E1"))
    lists = tuple(
        ReminderList(ids(), name, *palette[i % len(palette)]) for i, name in enumerate(names)
    )
    out = []
    for i in range(3 * len(lists)):
        rng = item_rng(spec.seed, KIND, i)
        created = _utc("2026-10-01T08:00:00") + timedelta(hours=7 * i)
        zone = ("Europe/Berlin", "America/New_York")[i % 2]
        due = created.astimezone(ZoneInfo(zone)) + timedelta(days=3) if i % 3 else None
        done = created + timedelta(days=1) if i % 4 == 3 else None
        out.append(
            Reminder(
                id=ids(),
                list_id=lists[i % len(lists)].id,
                title=f"{rng.choice(_TASKS)} ({i + 1})",
                created=created,
                modified=done or created,
                due=due,
                time_zone=zone if due else None,
                completed_at=done,
            )
        )
    return World(lists, tuple(out))


def _rich(ids: _Ids) -> World:
    home = ReminderList(ids(), "Home", "red", "#FF2968")
    shop = ReminderList(ids(), "Groceries 🛒", "green", "#63DA38", shared=True)
    work = ReminderList(ids(), "Work", "orange", "#FF9500")
    rent, kenji, birthday, trip, flights, hotel = (ids() for _ in range(6))
    milk, eggs, review, someday = (ids() for _ in range(4))
    created = _utc("2026-11-01T10:00:00")
    reminders = (
        Reminder(
            id=rent,
            list_id=home.id,
            title="Pay rent",
            notes="Transfer from checking",
            created=created,
            modified=_utc("2026-11-02T10:00:00"),
            due=_at("2026-12-01T09:00:00", "America/Los_Angeles"),
            time_zone="America/Los_Angeles",
            priority=1,
            flagged=True,
            alarms=(DateAlarm(ids(), ids(), _at("2026-12-01T09:00:00", "America/Los_Angeles")),),
            recurrence=Recurrence(MONTHLY),
            recurrence_id=ids(),
            url="https://bank.example.com/pay?ref=rent",
            url_id=ids(),
            tags=((ids(), "finance"), (ids(), "home")),
        ),
        Reminder(
            id=kenji,
            list_id=home.id,
            title="Call Kenji",
            created=created,
            modified=_utc("2026-12-02T09:45:00"),
            due=_at("2026-12-02T18:30:00", "Asia/Tokyo"),
            time_zone="Asia/Tokyo",
            priority=5,
            alarms=(DateAlarm(ids(), ids(), _at("2026-12-02T18:00:00", "Asia/Tokyo")),),
            completed_at=_utc("2026-12-02T09:45:00"),
        ),
        Reminder(
            id=birthday,
            list_id=home.id,
            title="Mum's birthday 🎂",
            created=created,
            modified=created,
            due_day=date(2026, 12, 24),
            recurrence=Recurrence(YEARLY),
            recurrence_id=ids(),
        ),
        Reminder(
            id=trip,
            list_id=work.id,
            title="Plan trip to Zürich",
            notes="Flights ✈️\nHotel near the Hauptbahnhof",
            created=created,
            modified=created,
            due=_at("2027-01-10T08:00:00", "Pacific/Auckland"),
            time_zone="Pacific/Auckland",
            priority=9,
        ),
        Reminder(
            id=flights,
            list_id=work.id,
            title="Book flights",
            created=created,
            modified=_utc("2026-11-20T12:00:00"),
            parent_id=trip,
            completed_at=_utc("2026-11-20T12:00:00"),
        ),
        Reminder(
            id=hotel,
            list_id=work.id,
            title="Reserve hotel",
            created=created,
            modified=created,
            parent_id=trip,
            due_day=date(2027, 1, 5),
        ),
        Reminder(id=milk, list_id=shop.id, title="Milk", created=created, modified=created),
        Reminder(
            id=eggs,
            list_id=shop.id,
            title="Eggs (free range)",
            created=created,
            modified=_utc("2026-11-03T17:30:00"),
            completed_at=_utc("2026-11-03T17:30:00"),
        ),
        Reminder(
            id=review,
            list_id=work.id,
            title="Weekly review",
            created=created,
            modified=created,
            due=_at("2026-12-04T16:00:00", "Europe/London"),
            time_zone="Europe/London",
            alarms=(
                LocationAlarm(
                    ids(), ids(), "Office", "1 Main Street, London", 51.5072, -0.1276, 150.0, 1
                ),
            ),
            recurrence=Recurrence(WEEKLY, interval=2, count=10),
            recurrence_id=ids(),
        ),
        Reminder(id=someday, list_id=work.id, title="Someday", created=created, modified=created),
    )
    return World((home, shop, work), reminders)


@lru_cache(maxsize=32)
def world(spec: ContentSpec) -> World:
    """The account's lists and reminders (a pure function of its content spec)."""
    ids = _Ids(spec.seed)
    if spec.reminders == "upgraded":
        return _basic(spec, ids, ("Reminders", "Family", "Errands", "Books to read"))
    basic = _basic(spec, ids, ("Reminders", "Errands"))
    if spec.reminders != "rich":
        return basic
    rich = _rich(ids)
    return World(basic.lists + rich.lists, basic.reminders + rich.reminders)
