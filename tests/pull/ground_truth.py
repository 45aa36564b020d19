"""What the pulled files must hold, from the sandbox world's own generators."""

from __future__ import annotations

import base64
import io
import json
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import vobject

from cloudtap.sandbox.accounts.model import GeneratedLibrary, SandboxAccount
from cloudtap.sandbox.photos import generator, media
from cloudtap.sandbox.photos.container import PRIMARY_ZONE, shared_zone_name
from cloudtap.sandbox.photos.content import resolve
from cloudtap.sandbox.photos.resources import PREFIXES
from cloudtap.sandbox.photos.urls import ContentRef
from cloudtap.sandbox.services.content import contacts as contacts_gen
from cloudtap.sandbox.services.content import events as events_gen
from cloudtap.sandbox.services.content import note_files
from cloudtap.sandbox.services.content import notes as notes_gen
from cloudtap.sandbox.services.content.contacts import Person
from cloudtap.sandbox.services.content.events import EventSource
from cloudtap.sandbox.world import SandboxWorld

# Apple's labels as vCard 4 TYPE values (RFC 6350 names "cell" what Apple calls MOBILE).
VCARD_TYPES = {"MOBILE": "cell", "HOMEPAGE": "home"}


def vcard_type(label: str) -> str:
    return VCARD_TYPES.get(label.upper(), label.lower())


def person_for(account: SandboxAccount, contact_id: str) -> tuple[Person, bytes | None]:
    spec = account.content
    index = contacts_gen.index_of(spec, contact_id)
    if index is None:
        me = contacts_gen.me(account)
        assert me.contact_id == contact_id, f"{contact_id} is not in the world"
        return me, None
    person = contacts_gen.person(spec, index)
    return person, contacts_gen.photo_jpeg(spec, index) if person.has_photo else None


def vcard_date(value: str) -> str:
    year, rest = value[:4], value[5:].replace("-", "")
    return f"--{rest}" if int(year) == contacts_gen.NO_YEAR else f"{year}{rest}"


def world_events(account: SandboxAccount) -> list[EventSource]:
    """Every event (a series once, as its first occurrence) the world holds."""
    spec = account.content
    win = events_gen.window()
    return [
        events_gen.source(spec, events_gen.first_occurrence(spec, i, win))
        for i in range(spec.events)
    ]


def ics_value(moment: datetime, all_day: bool) -> date | datetime:
    return moment.date() if all_day else moment


@dataclass(frozen=True)
class WorldPhoto:
    zone: str
    index: int
    filename: str
    captured: datetime


def visible_photos(account: SandboxAccount) -> list[WorldPhoto]:
    library = account.photos
    assert isinstance(library, GeneratedLibrary)
    out = []
    for zone, count in (
        (PRIMARY_ZONE, library.count),
        (shared_zone_name(library.seed), library.shared_count),
    ):
        for i in range(count):
            spec = generator.asset(library.seed, zone, i)
            if spec.hidden:
                continue
            moment = datetime.fromtimestamp(spec.asset_date_ms / 1000, tz=UTC)
            out.append(WorldPhoto(zone, i, spec.filename, moment))
    return out


def photo_bytes(
    world: SandboxWorld, account: SandboxAccount, zone: str, index: int, resource: str
) -> bytes:
    ref = ContentRef(
        dsid=account.dsid,
        shared=zone != PRIMARY_ZONE,
        source="g",
        index=index,
        code=PREFIXES.index(resource),
    )
    blob = resolve(world, ref)
    assert blob is not None, (zone, index, resource)
    return media.join(blob.pieces)


def photo_index(account: SandboxAccount, zone: str, record_name: str) -> int:
    library = account.photos
    assert isinstance(library, GeneratedLibrary)
    index = generator.index_of_name(library.seed, zone, record_name)
    assert index is not None, record_name
    return index


def data_uri_bytes(value: str) -> bytes:
    head, _, body = value.partition(",")
    assert head == "data:image/jpeg;base64", head
    return base64.b64decode(body)


def minutes(delta: timedelta) -> int:
    return int(delta.total_seconds() // 60)


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def raw_photo_uris(vcf: str) -> dict[str, list[str]]:
    """PHOTO values per UID, read with vobject's line parser: its vCard reader decodes
    PHOTO as text and cuts an RFC 6350 ``data:`` URI at its comma."""
    out: dict[str, list[str]] = {}
    uid, photos = "", []
    for line, _number in vobject.base.getLogicalLines(io.StringIO(vcf)):
        content = vobject.base.textLineToContentLine(line)
        if content.name == "UID":
            uid = content.value
        elif content.name == "PHOTO":
            photos.append(content.value)
        elif content.name == "END":
            if photos:
                out[uid] = photos
            uid, photos = "", []
    return out


IN_TEXT = {"hashtag", "calculation"}  # inline kinds whose text Apple shows in place


def note_text(note: notes_gen.NoteItem) -> str | None:
    """A world note's text as a reader sees it (None when locked): inline text in place,
    other objects left out (tests/icloud/datatypes/test_notes_ground_truth.py's rule)."""
    if note.locked:
        return None
    stand_in = {e.identifier: e.text for e in note.extras if e.kind in IN_TEXT}
    return "".join(
        p.text + (stand_in.get(p.attachment.identifier, "") if p.attachment else "") + "\n"
        for p in note.paragraphs
    )


def note_file_bytes(file: note_files.AttachmentFile) -> bytes:
    return media.join(note_files.pieces(file))


def front_matter(markdown: str) -> tuple[dict[str, Any], str]:
    """A pulled note's front matter (JSON scalars, one ``key: value`` a line) and body."""
    _, head, body = markdown.split("---\n", 2)
    meta = {k: json.loads(v) for k, v in (line.split(": ", 1) for line in head.splitlines())}
    return meta, body


def instant(value: str) -> datetime:
    moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
