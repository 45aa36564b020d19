"""The sandbox world's address book: one ``Person`` per contact, a pure function of
(seed, index), plus the account's groups. The ``/co`` service renders these as Apple's
cards; tests compare what a client publishes with these values, never with the wire.

The mix exercises every field the public captures show: unicode names with phonetic
spellings, companies (``isCompany``), IMs, dates, related names, social profiles,
birthdays without a year, and cards with missing or empty fields.
"""

from __future__ import annotations

import io
import random
from dataclasses import dataclass
from datetime import timedelta
from functools import lru_cache

from PIL import Image, ImageDraw

from cloudtap.sandbox.accounts.model import ContentSpec, SandboxAccount
from cloudtap.sandbox.services.content import words
from cloudtap.sandbox.services.content.rng import item_rng, item_uuid, short_id, today

KIND = "contact"
PHOTO_EVERY = 3  # two contacts in three carry a photo ("hundreds of contacts with photos")
PHOTO_SIZE = 96
# A birthday saved without a year: public clients map year 1604 to "no year".
NO_YEAR = 1604

# (first, last, phonetic first, phonetic last): names beyond ASCII, some with readings.
UNICODE_NAMES: tuple[tuple[str, str, str | None, str | None], ...] = (
    ("太郎", "山田", "Tarō", "Yamada"),
    ("花子", "佐藤", "Hanako", "Satō"),
    ("Ольга", "Иванова", "Olga", "Ivanova"),
    ("Zoë", "Ångström", None, None),
    ("Søren", "Kierkegård", None, None),
    ("Éloïse", "Dœuf", None, None),
    ("محمد", "العلي", "Muhammad", "al-Ali"),
    ("Thảo", "Nguyễn", None, None),
    ("Ana 🌻", "García-Núñez", None, None),
)
GROUPS = ("Family", "Work", "Book club", "Voisins & Nachbarn")
IM_SERVICES = ("Jabber", "Skype", "AIM", "Facebook", None)
RELATIONS = ("FATHER", "MOTHER", "SPOUSE", "CHILD", "FRIEND", "ASSISTANT", "godparent")
DATE_LABELS = ("ANNIVERSARY", "OTHER", "Name day")
NETWORKS = (
    ("TWITTER", "http://twitter.com/"),
    ("LINKEDIN", "http://www.linkedin.com/in/"),
    ("FACEBOOK", "http://facebook.com/"),
)


@dataclass(frozen=True)
class Labelled:
    label: str
    value: str


@dataclass(frozen=True)
class IMAccount:
    label: str
    user: str
    service: str | None


@dataclass(frozen=True)
class SocialProfile:
    label: str
    url: str
    user: str


@dataclass(frozen=True)
class PostalAddress:
    label: str
    street: str
    city: str
    state: str
    postal_code: str
    country: str
    country_code: str


@dataclass(frozen=True)
class Person:
    """One contact as the world knows it. ``None`` means the card lacks the field."""

    contact_id: str
    etag: str
    first: str | None
    last: str | None
    middle: str | None = None
    prefix: str | None = None
    suffix: str | None = None
    nickname: str | None = None
    phonetic_first: str | None = None
    phonetic_last: str | None = None
    phonetic_company: str | None = None
    company: str | None = None
    department: str | None = None
    job_title: str | None = None
    is_company: bool = False
    birthday: str | None = None
    notes: str | None = None
    phones: tuple[Labelled, ...] = ()
    emails: tuple[Labelled, ...] = ()
    urls: tuple[Labelled, ...] = ()
    dates: tuple[Labelled, ...] = ()
    related_names: tuple[Labelled, ...] = ()
    ims: tuple[IMAccount, ...] = ()
    profiles: tuple[SocialProfile, ...] = ()
    addresses: tuple[PostalAddress, ...] = ()
    groups: tuple[str, ...] = ()
    has_photo: bool = False


def contact_id(spec: ContentSpec, index: int) -> str:
    return item_uuid(spec.seed, KIND, index)


def index_of(spec: ContentSpec, contact_id_: str) -> int | None:
    """Reverse of ``contact_id`` without scanning: ids are looked up through a cache."""
    return _id_index(spec.seed, spec.contacts).get(contact_id_)


def contact_ids(spec: ContentSpec) -> list[str]:
    """Every contact id, in the book's order."""
    return list(_id_index(spec.seed, spec.contacts))


@lru_cache(maxsize=8)
def _id_index(seed: int, count: int) -> dict[str, int]:
    # 10k ids is ~1 MB: acceptable once per (seed, count), unlike generating whole cards.
    return {item_uuid(seed, KIND, i): i for i in range(count)}


def has_photo(spec: ContentSpec, index: int) -> bool:
    return index % PHOTO_EVERY != 0


def groups_of(spec: ContentSpec, index: int) -> tuple[str, ...]:
    # A generator of its own, so the groups can be listed without building whole cards.
    rng = item_rng(spec.seed, "contact-group", index)
    return tuple(name for name in GROUPS if rng.random() < 0.2)


def group_id(spec: ContentSpec, name: str) -> str:
    return item_uuid(spec.seed, "group", GROUPS.index(name))


@lru_cache(maxsize=8)
def _members(seed: int, count: int) -> dict[str, tuple[str, ...]]:
    spec = ContentSpec(seed=seed, contacts=count)
    members: dict[str, list[str]] = {name: [] for name in GROUPS}
    for index in range(count):
        for name in groups_of(spec, index):
            members[name].append(contact_id(spec, index))
    return {name: tuple(ids) for name, ids in members.items()}


def group_members(spec: ContentSpec) -> dict[str, tuple[str, ...]]:
    """Group name → member contact ids, for every group of the account (maybe empty)."""
    return _members(spec.seed, spec.contacts) if spec.contacts else {}


def person(spec: ContentSpec, index: int) -> Person:
    rng = item_rng(spec.seed, KIND, index)
    # The first two draws are the initials ``photo_jpeg`` paints; keep them first.
    first: str | None = rng.choice(words.FIRST_NAMES)
    last: str | None = rng.choice(words.LAST_NAMES)
    city, state, cc, country, _lat, _lon, postal, _tz = rng.choice(words.PLACES)
    fields: dict[str, object] = {}
    # Contact 0 stays a plain person with a phone: the public clients' smoke tests read it.
    plain = index == 0
    roll = rng.random()
    if not plain and roll < 0.08:
        company = rng.choice(words.COMPANIES)
        first = last = None
        fields.update(is_company=True, company=company)
        if rng.random() < 0.5:
            fields["phonetic_company"] = company.upper()
    elif not plain and roll < 0.23:
        first, last, ph_first, ph_last = rng.choice(UNICODE_NAMES)
        fields.update(phonetic_first=ph_first, phonetic_last=ph_last)
    name = f"{first}.{last}".lower().replace(" ", "")
    email_local = f"{name}{index}" if first and last and name.isascii() else f"contact{index}"
    phones = [Labelled("MOBILE", f"+1 (555) {rng.randrange(100, 999)}-{index:04d}")]
    emails = [Labelled("HOME", f"{email_local}@example.org")]
    if rng.random() < 0.5:
        phones.append(Labelled("WORK", f"+44 20 7946 {rng.randrange(0, 9999):04d}"))
        fields.setdefault("company", rng.choice(words.COMPANIES))
        fields["department"] = rng.choice(words.DEPARTMENTS)
        fields["job_title"] = rng.choice(words.JOB_TITLES)
        emails.append(Labelled("WORK", f"{email_local}@work.example.com"))
    if not plain and rng.random() < 0.07:
        phones = []
    if not plain and rng.random() < 0.1:
        emails = []
    if first is not None and rng.random() < 0.3:
        fields["middle"] = rng.choice(words.FIRST_NAMES)
    if first is not None and rng.random() < 0.15:
        fields["prefix"] = rng.choice(("Dr.", "Mr.", "Ms.", "Mx."))
    if first is not None and rng.random() < 0.05:
        fields["suffix"] = rng.choice(("Jr.", "PhD", "III"))
    if first is not None and rng.random() < 0.1:
        fields["nickname"] = first[:3]
    if rng.random() < 0.05:
        # Empty strings, as in a public /co/mecard capture.
        fields.update(nickname="", notes="")
    if first is not None and rng.random() < 0.6:
        born = today() - timedelta(days=rng.randrange(18 * 365, 80 * 365))
        no_year = rng.random() < 0.1
        fields["birthday"] = f"{NO_YEAR}{born.isoformat()[4:]}" if no_year else born.isoformat()
    addresses: list[PostalAddress] = []
    if rng.random() < 0.4:
        street = f"{rng.randrange(1, 200)} {rng.choice(words.STREETS)}"
        if rng.random() < 0.2:
            street += "\nFlat 2"
        addresses.append(PostalAddress("HOME", street, city, state, postal, country, cc))
    urls = []
    if rng.random() < 0.1:
        urls.append(Labelled("HOMEPAGE", f"https://site{index}.example.org/"))
    if rng.random() < 0.1 and "notes" not in fields:
        fields["notes"] = f"Met at {city} in {today().year - rng.randrange(1, 10)}."
    ims = []
    if rng.random() < 0.3:
        for label in rng.sample(("HOME", "WORK", "OTHER"), rng.randrange(1, 3)):
            ims.append(IMAccount(label, f"im{index}_{label.lower()}", rng.choice(IM_SERVICES)))
    dates = []
    if rng.random() < 0.25:
        for label in rng.sample(DATE_LABELS, rng.randrange(1, 3)):
            day = today() - timedelta(days=rng.randrange(365, 40 * 365))
            dates.append(Labelled(label, day.isoformat()))
    related = []
    if rng.random() < 0.25:
        for label in rng.sample(RELATIONS, rng.randrange(1, 4)):
            related.append(Labelled(label, rng.choice(words.FIRST_NAMES)))
    profiles = []
    if rng.random() < 0.2:
        for label, base in rng.sample(NETWORKS, rng.randrange(1, 3)):
            user = f"user{index}_{label.lower()}"
            profiles.append(SocialProfile(label, base + user, user))
    return Person(
        contact_id=contact_id(spec, index),
        etag=f"C={1000 + index}@U={short_id(spec.seed, KIND, index, 8)}",
        first=first,
        last=last,
        phones=tuple(phones),
        emails=tuple(emails),
        urls=tuple(urls),
        dates=tuple(dates),
        related_names=tuple(related),
        ims=tuple(ims),
        profiles=tuple(profiles),
        addresses=tuple(addresses),
        groups=groups_of(spec, index),
        has_photo=has_photo(spec, index),
        **fields,  # type: ignore[arg-type]
    )


def me(account: SandboxAccount) -> Person:
    spec = account.content
    return Person(
        contact_id=item_uuid(spec.seed, "me", 0),
        etag="C=1@U=me",
        first=account.first_name,
        last=account.last_name,
        emails=(Labelled("HOME", account.apple_id),),
        phones=(Labelled("MOBILE", "+1 (555) 555-0100"),),
        birthday="1990-01-01",
    )


def photo_jpeg(spec: ContentSpec, index: int) -> bytes:
    """A small, deterministic portrait: a coloured tile with the contact's initials."""
    rng = item_rng(spec.seed, "photo", index)
    colour = (rng.randrange(40, 220), rng.randrange(40, 220), rng.randrange(40, 220))
    image = Image.new("RGB", (PHOTO_SIZE, PHOTO_SIZE), colour)
    card_rng: random.Random = item_rng(spec.seed, KIND, index)
    initials = card_rng.choice(words.FIRST_NAMES)[0] + card_rng.choice(words.LAST_NAMES)[0]
    ImageDraw.Draw(image).text((PHOTO_SIZE // 3, PHOTO_SIZE // 3), initials, fill="white")
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=80)
    return out.getvalue()
